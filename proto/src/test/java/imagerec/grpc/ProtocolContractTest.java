package imagerec.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import imagerec.oip.GrpcServiceProto;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Holds {@code inference/grpc_service.proto} to the Open Inference Protocol as published, written
 * down in {@code open-inference-protocol.tsv}: any generated client of the protocol sends what
 * imagerec reads only if every name and number is the same.
 */
class ProtocolContractTest {
  private static final FileDescriptor FILE = GrpcServiceProto.getDescriptor();

  @Test
  void packageAndServiceAreThePublishedOnes() {
    assertEquals("inference", FILE.getPackage());
    assertNotNull(FILE.findServiceByName("GRPCInferenceService"));
  }

  @Test
  void everyPublishedMethodAndFieldIsDeclaredAsPublished() throws IOException {
    List<String[]> rows = rows();
    ServiceDescriptor service = FILE.findServiceByName("GRPCInferenceService");
    Set<String> methods = new HashSet<>();
    Set<String> fields = new HashSet<>();
    for (String[] row : rows) {
      if (row[0].equals("rpc")) {
        MethodDescriptor method = service.findMethodByName(row[1]);
        assertNotNull(method, "method " + row[1]);
        assertEquals(row[2], method.getInputType().getName(), row[1] + " request");
        assertEquals(row[3], method.getOutputType().getName(), row[1] + " response");
        assertEquals(Boolean.parseBoolean(row[4]), method.isClientStreaming(), row[1] + " client streaming");
        assertEquals(Boolean.parseBoolean(row[5]), method.isServerStreaming(), row[1] + " server streaming");
        methods.add(row[1]);
      } else {
        Descriptor message = message(row[1]);
        FieldDescriptor field = message.findFieldByName(row[2]);
        String where = row[1] + "." + row[2];
        assertNotNull(field, where);
        assertEquals(Integer.parseInt(row[3]), field.getNumber(), where + " number");
        String type = field.getType() == FieldDescriptor.Type.MESSAGE
            ? field.getMessageType().getFullName().substring("inference.".length())
            : field.getType().name().toLowerCase(java.util.Locale.ROOT);
        assertEquals(row[4], type, where + " type");
        assertEquals(row[5].equals("repeated"), field.isRepeated(), where + " label");
        fields.add(where);
      }
    }
    // nothing declared that the protocol does not have: every served method and field is listed
    for (MethodDescriptor m : service.getMethods()) {
      assertTrue(methods.contains(m.getName()), "method not in the published protocol: " + m.getName());
    }
    for (Descriptor message : allMessages()) {
      for (FieldDescriptor f : message.getFields()) {
        String where = message.getFullName().substring("inference.".length()) + "." + f.getName();
        boolean mapEntry = message.getOptions().getMapEntry();
        assertTrue(mapEntry || fields.contains(where), "field not in the published protocol: " + where);
      }
    }
  }

  @Test
  void mapParametersMapStringsToInferParameters() {
    Descriptor entry = message("ModelInferRequest.ParametersEntry");
    assertEquals(FieldDescriptor.Type.STRING, entry.findFieldByName("key").getType());
    assertEquals("inference.InferParameter", entry.findFieldByName("value").getMessageType().getFullName());
  }

  private static Descriptor message(String dotted) {
    String[] parts = dotted.split("\\.");
    Descriptor d = FILE.findMessageTypeByName(parts[0]);
    for (int i = 1; i < parts.length && d != null; i++) {
      d = d.findNestedTypeByName(parts[i]);
    }
    assertNotNull(d, "message " + dotted);
    return d;
  }

  private static List<Descriptor> allMessages() {
    List<Descriptor> all = new ArrayList<>();
    List<Descriptor> todo = new ArrayList<>(FILE.getMessageTypes());
    while (!todo.isEmpty()) {
      Descriptor d = todo.remove(todo.size() - 1);
      all.add(d);
      todo.addAll(d.getNestedTypes());
    }
    return all;
  }

  private static List<String[]> rows() throws IOException {
    List<String[]> rows = new ArrayList<>();
    try (BufferedReader in = new BufferedReader(new InputStreamReader(
        ProtocolContractTest.class.getResourceAsStream("/open-inference-protocol.tsv"), StandardCharsets.UTF_8))) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        if (!line.isBlank() && !line.startsWith("#")) {
          rows.add(line.split("\t"));
        }
      }
    }
    return rows;
  }
}
