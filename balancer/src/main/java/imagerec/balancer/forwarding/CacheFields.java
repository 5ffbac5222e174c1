package imagerec.balancer.forwarding;

import imagerec.oip.ModelInferRequest;
import imagerec.oip.ModelInferResponse;
import imagerec.v1.RecognizeRequest;
import imagerec.v1.RecognizeResponse;
import java.util.Map;

/**
 * Where a cacheable method's messages carry the caller's id and the answering version, as field
 * numbers read and written on the raw bytes: the id is left out of the cache key and set to each
 * caller's own in a shared answer; the version is checked against the key's before an answer is
 * kept.
 */
record CacheFields(int requestId, int responseId, int responseVersion) {
  private static final Map<String, CacheFields> BY_METHOD = Map.of(
      "Recognize", new CacheFields(RecognizeRequest.REQUEST_ID_FIELD_NUMBER, RecognizeResponse.REQUEST_ID_FIELD_NUMBER,
          RecognizeResponse.MODEL_VERSION_FIELD_NUMBER),
      "ModelInfer", new CacheFields(ModelInferRequest.ID_FIELD_NUMBER, ModelInferResponse.ID_FIELD_NUMBER,
          ModelInferResponse.MODEL_VERSION_FIELD_NUMBER));

  /** The fields of a method whose answers may be cached (by its bare name), or null. */
  static CacheFields of(String method) {
    return BY_METHOD.get(method);
  }
}
