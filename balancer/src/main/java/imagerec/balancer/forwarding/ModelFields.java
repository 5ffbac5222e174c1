package imagerec.balancer.forwarding;

import imagerec.grpc.RawFields;

/**
 * Where a request names its model and version, as field numbers of its message (0: it names
 * none); read from the raw bytes, so calls are routed to workers serving that model without being
 * parsed.
 */
record ModelFields(int model, int version) {
  /** A request that is not about one model ({@code ListModels}). */
  static final ModelFields NONE = new ModelFields(0, 0);

  String model(byte[] request) {
    return model == 0 ? "" : RawFields.string(request, model);
  }

  String version(byte[] request) {
    return version == 0 ? "" : RawFields.string(request, version);
  }

  /** {@code request} naming {@code model}: the balancer's default resolved where it named none. */
  byte[] withModel(byte[] request, String model) {
    return RawFields.withString(request, this.model, model);
  }
}
