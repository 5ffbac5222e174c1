package imagerec.worker.grpc;

import com.google.protobuf.ByteString;
import imagerec.grpc.InferMessages;
import imagerec.oip.InferParameter;
import imagerec.oip.InferTensorContents;
import imagerec.oip.ModelInferRequest;
import imagerec.oip.ModelInferResponse;
import imagerec.oip.ModelMetadataResponse;
import imagerec.worker.engine.Inference;
import imagerec.worker.engine.InvalidRequestException;
import imagerec.worker.engine.TopK;
import imagerec.worker.model.ModelConfig;
import imagerec.worker.model.ServedModel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The Open Inference Protocol's tensors as imagerec serves them: reads a {@code ModelInferRequest}'s
 * one input (encoded images, or inputs already preprocessed) and writes a result as the output
 * tensor the caller asked for, typed or raw the way the request came. Every mistake is an
 * {@link InvalidRequestException} whose message names the tensor.
 *
 * <p>Inputs, as {@code ModelMetadata} reports them (a request sends one or the other):
 * <ul>
 *   <li>{@value #IMAGE_INPUT}: {@code BYTES [N]} or {@code [N, 1]}, one encoded image per element,
 *       decoded and preprocessed as the model's {@code model.json} says;
 *   <li>{@value #TENSOR_INPUT}: {@code FP32 [N, C, H, W]} ({@code [N, H, W, C]} for an NHWC model),
 *       already preprocessed.
 * </ul>
 * Outputs: {@value #SCORES_OUTPUT} {@code FP32 [N, labels]} (after the model's activation) for a
 * classifier, {@value #EMBEDDING_OUTPUT} {@code FP32 [N, D]} for an embedding model; with the
 * parameter {@code classification} = K, {@code BYTES [N, K]} strings {@code "score:index:label"},
 * best first.
 */
final class TensorCodec {
  static final String IMAGE_INPUT = "image";
  static final String TENSOR_INPUT = "input";
  static final String SCORES_OUTPUT = "scores";
  static final String EMBEDDING_OUTPUT = "embedding";
  static final String CLASSIFICATION = "classification";

  /** A request's inputs: encoded images or preprocessed tensors (the other null). */
  record Inputs(List<byte[]> images, List<float[]> tensors, boolean raw) {
    int count() {
      return images != null ? images.size() : tensors.size();
    }
  }

  /** What the caller asked to get back: the output's name and, for the classification extension, K (else 0). */
  record OutputRequest(String name, int classification) {}

  private TensorCodec() {}

  /** The name of {@code model}'s output tensor. */
  static String outputName(ServedModel model) {
    return model.kind() == ModelConfig.Kind.EMBEDDING ? EMBEDDING_OUTPUT : SCORES_OUTPUT;
  }

  /** The protocol's platform name of the model's engine (Triton's names). */
  static String platform(ServedModel model) {
    return model.config().engineOrDefault() == ModelConfig.Engine.ONNX_RUNTIME ? "onnxruntime_onnx" : "pytorch_libtorch";
  }

  /** Both input forms and the output, with -1 for the batch dimension. */
  static ModelMetadataResponse metadata(ServedModel model) {
    ModelConfig.Input in = model.config().input();
    List<Long> shape = in.nhwc() ? List.of(-1L, (long) in.height(), (long) in.width(), (long) in.channels())
        : List.of(-1L, (long) in.channels(), (long) in.height(), (long) in.width());
    return ModelMetadataResponse.newBuilder()
        .setName(model.name())
        .addVersions(model.version())
        .setPlatform(platform(model))
        .addInputs(tensor(IMAGE_INPUT, "BYTES", List.of(-1L)))
        .addInputs(tensor(TENSOR_INPUT, "FP32", shape))
        .addOutputs(tensor(outputName(model), "FP32", List.of(-1L, (long) model.outputSize())))
        .build();
  }

  private static ModelMetadataResponse.TensorMetadata tensor(String name, String datatype, List<Long> shape) {
    return ModelMetadataResponse.TensorMetadata.newBuilder().setName(name).setDatatype(datatype)
        .addAllShape(shape).build();
  }

  /** The request's one input, checked against {@code model}. */
  static Inputs read(ModelInferRequest request, ServedModel model) throws InvalidRequestException {
    if (request.getInputsCount() != 1) {
      throw new InvalidRequestException("send exactly one input tensor, '" + IMAGE_INPUT
          + "' (BYTES, encoded images) or '" + TENSOR_INPUT + "' (FP32, preprocessed); got "
          + request.getInputsCount());
    }
    ModelInferRequest.InferInputTensor input = request.getInputs(0);
    boolean raw = request.getRawInputContentsCount() > 0;
    if (raw && request.getRawInputContentsCount() != 1) {
      throw new InvalidRequestException("raw_input_contents has " + request.getRawInputContentsCount()
          + " entries for 1 input tensor");
    }
    if (raw && input.hasContents()) {
      throw new InvalidRequestException("input '" + input.getName()
          + "' has both contents and raw_input_contents; send one");
    }
    ByteString rawBytes = raw ? request.getRawInputContents(0) : null;
    return switch (input.getName()) {
      case IMAGE_INPUT -> new Inputs(images(input, rawBytes), null, raw);
      case TENSOR_INPUT -> new Inputs(null, tensors(input, rawBytes, model), raw);
      default -> throw new InvalidRequestException("unknown input '" + input.getName() + "'; model "
          + model.name() + " takes '" + IMAGE_INPUT + "' (BYTES) or '" + TENSOR_INPUT + "' (FP32)");
    };
  }

  private static List<byte[]> images(ModelInferRequest.InferInputTensor input, ByteString raw)
      throws InvalidRequestException {
    datatype(input, "BYTES");
    List<Long> shape = input.getShapeList();
    if (shape.isEmpty() || shape.size() > 2 || (shape.size() == 2 && shape.get(1) != 1)) {
      throw new InvalidRequestException("input '" + IMAGE_INPUT + "' must have shape [N] or [N, 1]; got " + shape);
    }
    int n = batch(input);
    List<byte[]> images = new ArrayList<>(n);
    if (raw == null) {
      for (ByteString element : input.getContents().getBytesContentsList()) {
        images.add(element.toByteArray());
      }
    } else {
      try {
        for (ByteString element : InferMessages.unpackBytes(raw)) {
          images.add(element.toByteArray());
        }
      } catch (IllegalArgumentException e) {
        throw new InvalidRequestException("input '" + IMAGE_INPUT + "': " + e.getMessage());
      }
    }
    if (images.size() != n) {
      throw new InvalidRequestException("input '" + IMAGE_INPUT + "' has shape " + shape + " but "
          + images.size() + " elements");
    }
    return images;
  }

  private static List<float[]> tensors(ModelInferRequest.InferInputTensor input, ByteString raw, ServedModel model)
      throws InvalidRequestException {
    datatype(input, "FP32");
    ModelConfig.Input in = model.config().input();
    List<Long> expected = in.nhwc() ? List.of((long) in.height(), (long) in.width(), (long) in.channels())
        : List.of((long) in.channels(), (long) in.height(), (long) in.width());
    List<Long> shape = input.getShapeList();
    if (shape.size() != 4 || !shape.subList(1, 4).equals(expected)) {
      throw new InvalidRequestException("input '" + TENSOR_INPUT + "' must have shape [N, "
          + expected.toString().substring(1) + " for model " + model.name() + "; got " + shape);
    }
    int n = batch(input);
    int size = model.inputSize();
    long elements = raw == null ? input.getContents().getFp32ContentsCount() : raw.size() / 4L;
    if ((raw != null && raw.size() % 4 != 0) || elements != (long) n * size) {
      throw new InvalidRequestException("input '" + TENSOR_INPUT + "' has shape " + shape + " ("
          + (long) n * size + " values) but " + (raw == null ? elements + " values"
              : raw.size() + " raw bytes (4 per FP32 value)"));
    }
    List<float[]> tensors = new ArrayList<>(n);
    if (raw == null) {
      List<Float> values = input.getContents().getFp32ContentsList();
      for (int i = 0; i < n; i++) {
        float[] t = new float[size];
        for (int j = 0; j < size; j++) {
          t[j] = values.get(i * size + j);
        }
        tensors.add(t);
      }
    } else {
      ByteBuffer bytes = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < n; i++) {
        float[] t = new float[size];
        bytes.asFloatBuffer().get(t);
        bytes.position(bytes.position() + 4 * size);
        tensors.add(t);
      }
    }
    return tensors;
  }

  private static void datatype(ModelInferRequest.InferInputTensor input, String wanted) throws InvalidRequestException {
    if (!input.getDatatype().equals(wanted)) {
      throw new InvalidRequestException("input '" + input.getName() + "' must have datatype " + wanted
          + "; got '" + input.getDatatype() + "'");
    }
  }

  private static int batch(ModelInferRequest.InferInputTensor input) throws InvalidRequestException {
    long n = input.getShape(0);
    if (n < 1 || n > InferMessages.MAX_BATCH) {
      throw new InvalidRequestException("input '" + input.getName() + "' has a batch of " + n
          + "; send 1 to " + InferMessages.MAX_BATCH + " per request");
    }
    return (int) n;
  }

  /** The output asked for (none: the model's output, as scores). */
  static OutputRequest outputRequest(ModelInferRequest request, ServedModel model) throws InvalidRequestException {
    String name = outputName(model);
    if (request.getOutputsCount() == 0) {
      return new OutputRequest(name, 0);
    }
    if (request.getOutputsCount() > 1) {
      throw new InvalidRequestException("model " + model.name() + " has one output, '" + name + "'; "
          + request.getOutputsCount() + " requested");
    }
    ModelInferRequest.InferRequestedOutputTensor wanted = request.getOutputs(0);
    if (!wanted.getName().equals(name)) {
      throw new InvalidRequestException("unknown output '" + wanted.getName() + "'; model " + model.name()
          + " has '" + name + "'");
    }
    InferParameter k = wanted.getParametersMap().get(CLASSIFICATION);
    if (k == null) {
      return new OutputRequest(name, 0);
    }
    if (model.kind() == ModelConfig.Kind.EMBEDDING) {
      throw new InvalidRequestException("output '" + name + "': classification does not apply to "
          + model.name() + ", an embedding model");
    }
    long count = switch (k.getParameterChoiceCase()) {
      case INT64_PARAM -> k.getInt64Param();
      case UINT64_PARAM -> k.getUint64Param();
      case STRING_PARAM -> parseCount(k.getStringParam());
      default -> -1;
    };
    if (count < 1 || count > model.outputSize()) {
      throw new InvalidRequestException("output '" + name + "': parameter classification must be 1 to "
          + model.outputSize() + " for model " + model.name() + "; got " + k);
    }
    return new OutputRequest(name, (int) count);
  }

  private static long parseCount(String s) {
    try {
      return Long.parseLong(s.strip());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** The response to {@code request}: the output as asked, raw when the input came raw. */
  static ModelInferResponse write(ModelInferRequest request, OutputRequest wanted, Inference result, boolean raw) {
    int n = result.outputs().size();
    ModelInferResponse.Builder response = ModelInferResponse.newBuilder()
        .setModelName(result.model()).setModelVersion(result.version()).setId(request.getId());
    ModelInferResponse.InferOutputTensor.Builder tensor = ModelInferResponse.InferOutputTensor.newBuilder()
        .setName(wanted.name());
    if (wanted.classification() > 0) {
      int k = wanted.classification();
      tensor.setDatatype("BYTES").addShape(n).addShape(k);
      List<ByteString> elements = new ArrayList<>(n * k);
      for (float[] scores : result.outputs()) {
        for (int index : TopK.best(scores, k)) {
          String label = index < result.labels().size() ? result.labels().get(index) : "class_" + index;
          elements.add(ByteString.copyFromUtf8(String.format(Locale.ROOT, "%f:%d:%s", scores[index], index, label)));
        }
      }
      if (raw) {
        response.addRawOutputContents(InferMessages.packBytes(elements));
      } else {
        tensor.setContents(InferTensorContents.newBuilder().addAllBytesContents(elements));
      }
    } else {
      int d = result.outputSize();
      tensor.setDatatype("FP32").addShape(n).addShape(d);
      if (raw) {
        ByteBuffer out = ByteBuffer.allocate(4 * n * d).order(ByteOrder.LITTLE_ENDIAN);
        for (float[] values : result.outputs()) {
          out.asFloatBuffer().put(values);
          out.position(out.position() + 4 * values.length);
        }
        response.addRawOutputContents(ByteString.copyFrom(out.array()));
      } else {
        InferTensorContents.Builder contents = InferTensorContents.newBuilder();
        for (float[] values : result.outputs()) {
          for (float v : values) {
            contents.addFp32Contents(v);
          }
        }
        tensor.setContents(contents);
      }
    }
    return response.addOutputs(tensor).build();
  }
}
