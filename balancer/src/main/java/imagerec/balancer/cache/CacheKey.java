package imagerec.balancer.cache;

import com.google.protobuf.ByteString;

/**
 * What makes two requests the same question: the method, the model (the default resolved), the
 * version that answers it, and a SHA-256 of the rest of the request (the image, top_k or requested
 * outputs; not the caller's request id).
 */
public record CacheKey(String method, String model, String version, ByteString digest) {

  /** Bytes this key holds, for the cache's weigher. */
  int bytes() {
    return 2 * (method.length() + model.length() + version.length()) + digest.size();
  }
}
