package imagerec.worker.image;

/**
 * How a worker decodes images.
 *
 * @param threads threads decoding images
 * @param queue images waiting for a decode thread before requests are shed
 * @param maxPixels largest image accepted, width x height, as declared in its header
 */
public record DecodeConfig(int threads, int queue, long maxPixels) {
  public DecodeConfig {
    if (threads < 1 || queue < 1) {
      throw new IllegalArgumentException("--decode-threads and the decode queue must be at least 1");
    }
    if (maxPixels < 1) {
      throw new IllegalArgumentException("--max-pixels must be positive");
    }
  }
}
