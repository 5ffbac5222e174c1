package imagerec.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import imagerec.oip.ModelInferRequest;
import imagerec.v1.RecognizeRequest;
import org.junit.jupiter.api.Test;

class RawFieldsTest {
  @Test
  void readsStringFieldsPastTheImage() {
    byte[] request = RecognizeRequest.newBuilder().setImage(ByteString.copyFrom(new byte[10_000]))
        .setModel("resnet18").setRequestId("r-1").build().toByteArray();
    assertEquals("resnet18", RecognizeMessages.model(request));
    assertEquals("r-1", RecognizeMessages.requestId(request));
    assertEquals("", RecognizeMessages.model(RecognizeRequest.getDefaultInstance().toByteArray()));
  }

  @Test
  void unreadableBytesGiveAnEmptyString() {
    assertEquals("", RawFields.string(new byte[] {0x0a, 0x7f, 0x01}, 1)); // length past the end
  }

  @Test
  void anAppendedFieldOverridesTheOriginalForParsersAndReaders() throws Exception {
    byte[] request = ModelInferRequest.newBuilder().setModelName("").setId("a")
        .addRawInputContents(ByteString.copyFrom(new byte[] {1, 2, 3})).build().toByteArray();
    byte[] resolved = RawFields.withString(request, ModelInferRequest.MODEL_NAME_FIELD_NUMBER, "fashion-mnist");
    assertEquals("fashion-mnist", InferMessages.modelName(resolved));
    ModelInferRequest parsed = ModelInferRequest.parseFrom(resolved);
    assertEquals("fashion-mnist", parsed.getModelName());
    assertEquals("a", parsed.getId());
    assertEquals(3, parsed.getRawInputContents(0).size());
    byte[] twice = RawFields.withString(resolved, ModelInferRequest.MODEL_NAME_FIELD_NUMBER, "second");
    assertEquals("second", ModelInferRequest.parseFrom(twice).getModelName());
  }
}
