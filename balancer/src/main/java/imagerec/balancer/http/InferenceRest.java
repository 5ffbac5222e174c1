package imagerec.balancer.http;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpExchange;
import imagerec.balancer.forwarding.Admission;
import imagerec.grpc.InferMessages;
import imagerec.oip.GRPCInferenceServiceGrpc;
import imagerec.oip.InferParameter;
import imagerec.oip.InferTensorContents;
import imagerec.oip.ModelInferRequest;
import imagerec.oip.ModelInferResponse;
import imagerec.oip.ModelMetadataRequest;
import imagerec.oip.ModelMetadataResponse;
import imagerec.oip.ModelReadyRequest;
import imagerec.oip.ServerLiveRequest;
import imagerec.oip.ServerMetadataRequest;
import imagerec.oip.ServerMetadataResponse;
import imagerec.oip.ServerReadyRequest;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The Open Inference Protocol's HTTP/JSON form under {@code /v2}, for the same operations as its
 * gRPC form: {@code GET /v2} (server metadata), {@code /v2/health/live}, {@code /v2/health/ready},
 * {@code /v2/models/NAME[/versions/V]} (model metadata), {@code .../ready}, and
 * {@code POST .../infer}. Each becomes one call of the balancer's own
 * {@code inference.GRPCInferenceService} in process, so it is routed, limited, measured and
 * checked for its token as a gRPC call.
 *
 * <p>Tensors in JSON: {@code "data"} flat or nested in row-major order; a {@code BYTES} input's
 * elements are base64 strings (imagerec's convention for images: the protocol's JSON carries BYTES
 * as plain strings, which cannot hold binary data); {@code BYTES} outputs (the classification
 * extension) are plain strings. Triton's binary-data extension: a request whose header
 * {@code Inference-Header-Content-Length} gives the JSON's length carries, after the JSON, the
 * bytes of each input whose parameter {@code binary_data_size} says how many (BYTES elements each a
 * 4-byte little-endian length and the bytes); outputs asked for with parameter {@code binary_data}
 * (or all, with the request parameter {@code binary_data_output}) come back the same way. Health
 * answers 200 for true and 400 for false; errors are {@code {"error": "message"}} with the HTTP
 * status of the gRPC code ({@link HttpStatuses}).
 */
final class InferenceRest {
  static final String HEADER_LENGTH = "Inference-Header-Content-Length";
  private static final Gson GSON = JsonReplies.GSON;

  private final GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub;
  private final Duration timeout;
  private final int maxBodyBytes;
  private final Admission admission;

  /** A client mistake found while reading a request: 400 with this message. */
  private static final class BadRequest extends Exception {
    BadRequest(String message) {
      super(message);
    }
  }

  /**
   * @param balancer a channel to the balancer's own GRPCInferenceService
   * @param timeout each call's deadline
   * @param admission the balancer's byte limit, which a request body counts against while it is read
   */
  InferenceRest(Channel balancer, Duration timeout, int maxBodyBytes, Admission admission) {
    this.stub = GRPCInferenceServiceGrpc.newBlockingStub(balancer);
    this.timeout = timeout;
    this.maxBodyBytes = maxBodyBytes;
    this.admission = admission;
  }

  void serve(HttpExchange exchange) throws IOException {
    String path = exchange.getRequestURI().getRawPath();
    String[] parts = path.replaceAll("/+$", "").substring(1).split("/");
    GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub call = CallerHeaders.of(
        stub.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS), exchange);
    try {
      if (!parts[0].equals("v2")) {
        error(exchange, 404, "no such path: " + path);
      } else if (parts.length == 1) {
        if (get(exchange)) {
          ServerMetadataResponse m = call.serverMetadata(ServerMetadataRequest.getDefaultInstance());
          JsonObject body = new JsonObject();
          body.addProperty("name", m.getName());
          body.addProperty("version", m.getVersion());
          body.add("extensions", strings(m.getExtensionsList()));
          JsonReplies.send(exchange, 200, body);
        }
      } else if (parts.length == 3 && parts[1].equals("health") && parts[2].matches("live|ready")) {
        if (get(exchange)) {
          boolean yes = parts[2].equals("live")
              ? call.serverLive(ServerLiveRequest.getDefaultInstance()).getLive()
              : call.serverReady(ServerReadyRequest.getDefaultInstance()).getReady();
          JsonObject body = new JsonObject();
          body.addProperty(parts[2], yes);
          JsonReplies.send(exchange, yes ? 200 : 400, body);
        }
      } else if (parts.length >= 3 && parts[1].equals("models")) {
        model(exchange, call, parts);
      } else {
        error(exchange, 404, "no such path: " + path + "; the protocol's paths are /v2, /v2/health/live, "
            + "/v2/health/ready, /v2/models/NAME[/versions/V][/ready|/infer]");
      }
    } catch (StatusRuntimeException e) {
      Status status = e.getStatus();
      if (status.getCode() == Status.Code.RESOURCE_EXHAUSTED) {
        exchange.getResponseHeaders().set("Retry-After", "1");
      }
      error(exchange, HttpStatuses.of(status.getCode()),
          status.getDescription() == null ? status.getCode().name() : status.getDescription());
    }
  }

  private void model(HttpExchange exchange, GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub call,
                     String[] parts) throws IOException {
    String name = URLDecoder.decode(parts[2], StandardCharsets.UTF_8);
    String version = "";
    int next = 3;
    if (parts.length >= 5 && parts[3].equals("versions")) {
      version = URLDecoder.decode(parts[4], StandardCharsets.UTF_8);
      next = 5;
    }
    String action = parts.length == next ? "" : parts.length == next + 1 ? parts[next] : "?";
    switch (action) {
      case "" -> {
        if (get(exchange)) {
          JsonReplies.send(exchange, 200, metadata(call.modelMetadata(
              ModelMetadataRequest.newBuilder().setName(name).setVersion(version).build())));
        }
      }
      case "ready" -> {
        if (get(exchange)) {
          boolean ready = call.modelReady(ModelReadyRequest.newBuilder().setName(name).setVersion(version).build())
              .getReady();
          JsonObject body = new JsonObject();
          body.addProperty("name", name);
          body.addProperty("ready", ready);
          JsonReplies.send(exchange, ready ? 200 : 400, body);
        }
      }
      case "infer" -> {
        if (!exchange.getRequestMethod().equals("POST")) {
          exchange.getResponseHeaders().set("Allow", "POST");
          error(exchange, 405, "use POST with the inference request");
          return;
        }
        long held = HttpGateway.expectedBytes(exchange, maxBodyBytes);
        if (!admission.tryHold(held)) {
          exchange.getResponseHeaders().set("Retry-After", "1");
          error(exchange, 429, admission.bytesExhausted().getDescription());
          return;
        }
        try {
          infer(exchange, call, name, version);
        } finally {
          admission.releaseBytes(held);
        }
      }
      default -> error(exchange, 404, "no such path: " + exchange.getRequestURI().getPath()
          + "; a model has /v2/models/NAME[/versions/V], .../ready and .../infer");
    }
  }

  private void infer(HttpExchange exchange, GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub call,
                     String name, String version) throws IOException {
    byte[] body = exchange.getRequestBody().readNBytes(maxBodyBytes + 1);
    if (body.length > maxBodyBytes) {
      exchange.getResponseHeaders().set("Connection", "close");
      error(exchange, 413, "request larger than the limit of " + maxBodyBytes + " bytes");
      return;
    }
    ModelInferRequest request;
    List<Boolean> binaryOutputs = new ArrayList<>();
    boolean[] binaryByDefault = new boolean[1];
    try {
      request = readRequest(exchange, body, name, version, binaryOutputs, binaryByDefault);
    } catch (BadRequest e) {
      error(exchange, 400, e.getMessage());
      return;
    } catch (RuntimeException e) { // a JSON value of the wrong kind: Gson's getAs* throw
      error(exchange, 400, "malformed inference request: " + e);
      return;
    }
    ModelInferResponse response = call.modelInfer(request);
    writeResponse(exchange, response, binaryOutputs, binaryByDefault[0]);
  }

  private static ModelInferRequest readRequest(HttpExchange exchange, byte[] body, String name, String version,
                                               List<Boolean> binaryOutputs, boolean[] binaryByDefault)
      throws BadRequest {
    int jsonLength = body.length;
    String declared = exchange.getRequestHeaders().getFirst(HEADER_LENGTH);
    if (declared != null) {
      try {
        jsonLength = Integer.parseInt(declared.strip());
      } catch (NumberFormatException e) {
        jsonLength = -1;
      }
      if (jsonLength < 0 || jsonLength > body.length) {
        throw new BadRequest(HEADER_LENGTH + " must be the JSON's length, 0 to " + body.length + "; got " + declared);
      }
    }
    JsonObject json;
    try {
      JsonElement parsed = JsonParser.parseString(new String(body, 0, jsonLength, StandardCharsets.UTF_8));
      if (!parsed.isJsonObject()) {
        throw new BadRequest("the request must be a JSON object with \"inputs\"");
      }
      json = parsed.getAsJsonObject();
    } catch (JsonParseException e) {
      throw new BadRequest("the request is not valid JSON: " + e.getMessage());
    }
    ModelInferRequest.Builder request = ModelInferRequest.newBuilder().setModelName(name).setModelVersion(version);
    if (json.has("id")) {
      request.setId(json.get("id").getAsString());
    }
    JsonObject parameters = object(json, "parameters");
    binaryByDefault[0] = parameters != null && parameters.has("binary_data_output")
        && parameters.get("binary_data_output").getAsBoolean();
    ByteBuffer binary = ByteBuffer.wrap(body, jsonLength, body.length - jsonLength);
    JsonArray inputs = json.has("inputs") && json.get("inputs").isJsonArray() ? json.getAsJsonArray("inputs") : null;
    if (inputs == null) {
      throw new BadRequest("the request has no \"inputs\" array");
    }
    List<ByteString> raw = new ArrayList<>();
    for (JsonElement element : inputs) {
      request.addInputs(input(element.getAsJsonObject(), binary, raw));
    }
    if (!raw.isEmpty() && raw.size() != inputs.size()) {
      throw new BadRequest("send every input as binary data or none");
    }
    request.addAllRawInputContents(raw);
    if (binary.remaining() > 0) {
      throw new BadRequest(binary.remaining() + " bytes of binary data follow the inputs' binary_data_size");
    }
    if (json.has("outputs")) {
      for (JsonElement element : json.getAsJsonArray("outputs")) {
        JsonObject output = element.getAsJsonObject();
        ModelInferRequest.InferRequestedOutputTensor.Builder wanted =
            ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName(output.get("name").getAsString());
        JsonObject p = object(output, "parameters");
        if (p != null && p.has("classification")) {
          wanted.putParameters("classification", InferParameter.newBuilder()
              .setInt64Param(p.get("classification").getAsLong()).build());
        }
        binaryOutputs.add(p != null && p.has("binary_data") ? p.get("binary_data").getAsBoolean() : null);
        request.addOutputs(wanted);
      }
    }
    return request.build();
  }

  private static ModelInferRequest.InferInputTensor input(JsonObject input, ByteBuffer binary, List<ByteString> raw)
      throws BadRequest {
    String name = input.has("name") ? input.get("name").getAsString() : "";
    String datatype = input.has("datatype") ? input.get("datatype").getAsString() : "";
    ModelInferRequest.InferInputTensor.Builder tensor = ModelInferRequest.InferInputTensor.newBuilder()
        .setName(name).setDatatype(datatype);
    if (input.has("shape")) {
      for (JsonElement d : input.getAsJsonArray("shape")) {
        tensor.addShape(d.getAsLong());
      }
    }
    JsonObject p = object(input, "parameters");
    if (p != null && p.has("binary_data_size")) {
      long size = p.get("binary_data_size").getAsLong();
      if (size < 0 || size > binary.remaining()) {
        throw new BadRequest("input '" + name + "': binary_data_size " + size + " but " + binary.remaining()
            + " bytes of binary data are left");
      }
      byte[] bytes = new byte[(int) size];
      binary.get(bytes);
      raw.add(ByteString.copyFrom(bytes));
      return tensor.build();
    }
    List<JsonPrimitive> data = new ArrayList<>();
    flatten(input.get("data"), data, name);
    InferTensorContents.Builder contents = InferTensorContents.newBuilder();
    try {
      for (JsonPrimitive value : data) {
        switch (datatype) {
          case "BYTES" -> contents.addBytesContents(ByteString.copyFrom(Base64.getDecoder().decode(value.getAsString())));
          case "FP32" -> contents.addFp32Contents(value.getAsFloat());
          default -> throw new BadRequest("input '" + name + "': datatype '" + datatype
              + "' is not served; send BYTES (base64 images) or FP32");
        }
      }
    } catch (IllegalArgumentException e) {
      throw new BadRequest("input '" + name + "': " + ("BYTES".equals(datatype)
          ? "BYTES elements must be base64 strings (imagerec's convention for images): " : "") + e.getMessage());
    }
    return tensor.setContents(contents).build();
  }

  private static void flatten(JsonElement data, List<JsonPrimitive> into, String name) throws BadRequest {
    if (data == null || data.isJsonNull()) {
      throw new BadRequest("input '" + name + "' has no \"data\" and no binary_data_size");
    }
    if (data.isJsonArray()) {
      for (JsonElement e : data.getAsJsonArray()) {
        flatten(e, into, name);
      }
    } else if (data.isJsonPrimitive()) {
      into.add(data.getAsJsonPrimitive());
    } else {
      throw new BadRequest("input '" + name + "': data must be values or arrays of values");
    }
  }

  private static void writeResponse(HttpExchange exchange, ModelInferResponse response, List<Boolean> binaryOutputs,
                                    boolean binaryByDefault) throws IOException {
    JsonObject json = new JsonObject();
    json.addProperty("model_name", response.getModelName());
    json.addProperty("model_version", response.getModelVersion());
    if (!response.getId().isEmpty()) {
      json.addProperty("id", response.getId());
    }
    JsonArray outputs = new JsonArray();
    ByteArrayOutputStream binary = new ByteArrayOutputStream();
    for (int i = 0; i < response.getOutputsCount(); i++) {
      ModelInferResponse.InferOutputTensor tensor = response.getOutputs(i);
      byte[] raw = response.getRawOutputContentsCount() > i ? response.getRawOutputContents(i).toByteArray()
          : rawOf(tensor);
      Boolean asked = i < binaryOutputs.size() ? binaryOutputs.get(i) : null;
      JsonObject out = new JsonObject();
      out.addProperty("name", tensor.getName());
      out.addProperty("datatype", tensor.getDatatype());
      JsonArray shape = new JsonArray();
      tensor.getShapeList().forEach(shape::add);
      out.add("shape", shape);
      if (asked != null ? asked : binaryByDefault) {
        JsonObject p = new JsonObject();
        p.addProperty("binary_data_size", raw.length);
        out.add("parameters", p);
        binary.write(raw);
      } else {
        out.add("data", dataOf(tensor.getDatatype(), raw));
      }
      outputs.add(out);
    }
    json.add("outputs", outputs);
    byte[] header = (GSON.toJson(json) + (binary.size() == 0 ? "\n" : "")).getBytes(StandardCharsets.UTF_8);
    if (binary.size() == 0) {
      JsonReplies.send(exchange, 200, new String(header, StandardCharsets.UTF_8));
      return;
    }
    exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
    exchange.getResponseHeaders().set(HEADER_LENGTH, Integer.toString(header.length));
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.sendResponseHeaders(200, header.length + binary.size());
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(header);
      binary.writeTo(out);
    }
  }

  /** A typed tensor's contents as the protocol's raw bytes. */
  private static byte[] rawOf(ModelInferResponse.InferOutputTensor tensor) {
    InferTensorContents c = tensor.getContents();
    if (tensor.getDatatype().equals("BYTES")) {
      return InferMessages.packBytes(c.getBytesContentsList()).toByteArray();
    }
    ByteBuffer out = ByteBuffer.allocate(4 * c.getFp32ContentsCount()).order(ByteOrder.LITTLE_ENDIAN);
    c.getFp32ContentsList().forEach(out::putFloat);
    return out.array();
  }

  /** Raw bytes as JSON data: numbers for FP32, strings for BYTES. */
  private static JsonArray dataOf(String datatype, byte[] raw) {
    JsonArray data = new JsonArray();
    ByteBuffer in = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
    if (datatype.equals("BYTES")) {
      InferMessages.unpackBytes(ByteString.copyFrom(raw)).forEach(e -> data.add(e.toStringUtf8()));
    } else {
      while (in.remaining() >= 4) {
        data.add(in.getFloat());
      }
    }
    return data;
  }

  private static JsonObject metadata(ModelMetadataResponse m) {
    JsonObject body = new JsonObject();
    body.addProperty("name", m.getName());
    body.add("versions", strings(m.getVersionsList()));
    body.addProperty("platform", m.getPlatform());
    body.add("inputs", tensors(m.getInputsList()));
    body.add("outputs", tensors(m.getOutputsList()));
    return body;
  }

  private static JsonArray tensors(List<ModelMetadataResponse.TensorMetadata> list) {
    JsonArray array = new JsonArray();
    for (ModelMetadataResponse.TensorMetadata t : list) {
      JsonObject o = new JsonObject();
      o.addProperty("name", t.getName());
      o.addProperty("datatype", t.getDatatype());
      JsonArray shape = new JsonArray();
      t.getShapeList().forEach(shape::add);
      o.add("shape", shape);
      array.add(o);
    }
    return array;
  }

  private static JsonArray strings(List<String> values) {
    JsonArray array = new JsonArray();
    values.forEach(array::add);
    return array;
  }

  private static JsonObject object(JsonObject parent, String name) {
    JsonElement e = parent.get(name);
    return e != null && e.isJsonObject() ? e.getAsJsonObject() : null;
  }

  private static boolean get(HttpExchange exchange) throws IOException {
    if (exchange.getRequestMethod().equals("GET")) {
      return true;
    }
    exchange.getResponseHeaders().set("Allow", "GET");
    error(exchange, 405, "use GET");
    return false;
  }

  /** The protocol's error body, {@code {"error": "message"}}. */
  private static void error(HttpExchange exchange, int code, String message) throws IOException {
    JsonObject body = new JsonObject();
    body.addProperty("error", message);
    JsonReplies.send(exchange, code, body);
  }
}
