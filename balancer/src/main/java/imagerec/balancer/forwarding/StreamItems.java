package imagerec.balancer.forwarding;

import com.google.protobuf.CodedOutputStream;
import imagerec.grpc.InferMessages;
import imagerec.grpc.RecognizeMessages;
import imagerec.oip.ModelInferRequest;
import imagerec.oip.ModelStreamInferResponse;
import imagerec.v1.RecognizeRequest;
import io.grpc.Status;
import java.io.IOException;

/**
 * What a routed stream needs to know of its items: where an item names its model, how a worker's
 * unary answer becomes a stream answer, and the answer of an item that failed. One for
 * {@code RecognizeStream}, one for the Open Inference Protocol's {@code ModelStreamInfer}.
 */
interface StreamItems {
  ModelFields fields();

  /** The stream answer carrying the worker's unary answer. */
  byte[] answer(byte[] workerResponse);

  /** The stream answer of {@code request}, which failed with {@code status}. */
  byte[] error(byte[] request, Status status);

  /** {@code RecognizeStream}: answers are {@code RecognizeResponse}s, as the worker's. */
  StreamItems RECOGNIZE = new StreamItems() {
    @Override
    public ModelFields fields() {
      return new ModelFields(RecognizeRequest.MODEL_FIELD_NUMBER, 0);
    }

    @Override
    public byte[] answer(byte[] workerResponse) {
      return workerResponse;
    }

    @Override
    public byte[] error(byte[] request, Status status) {
      return RecognizeMessages.error(RecognizeMessages.requestId(request), status).toByteArray();
    }
  };

  /** {@code ModelStreamInfer}: a worker's {@code ModelInferResponse} wrapped as the stream's {@code infer_response}. */
  StreamItems MODEL_INFER = new StreamItems() {
    @Override
    public ModelFields fields() {
      return new ModelFields(ModelInferRequest.MODEL_NAME_FIELD_NUMBER, ModelInferRequest.MODEL_VERSION_FIELD_NUMBER);
    }

    @Override
    public byte[] answer(byte[] workerResponse) {
      int field = ModelStreamInferResponse.INFER_RESPONSE_FIELD_NUMBER;
      byte[] out = new byte[CodedOutputStream.computeByteArraySize(field, workerResponse)];
      CodedOutputStream stream = CodedOutputStream.newInstance(out);
      try {
        stream.writeByteArray(field, workerResponse); // the message's bytes, not re-encoded
        stream.checkNoSpaceLeft();
      } catch (IOException e) {
        throw new IllegalStateException("sized exactly above", e);
      }
      return out;
    }

    @Override
    public byte[] error(byte[] request, Status status) {
      return InferMessages.streamError(InferMessages.id(request), InferMessages.modelName(request), status)
          .toByteArray();
    }
  };
}
