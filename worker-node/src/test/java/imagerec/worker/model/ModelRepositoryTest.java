package imagerec.worker.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import imagerec.worker.inference.BatchingConfig;
import imagerec.worker.inference.BatchingPredictor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading, versions and hot reload of the repository, with a fake loader (no DJL). */
class ModelRepositoryTest {
  @TempDir
  Path root;

  /** Closed flags of every model the fake loader made, by "name@version#n". */
  private final Map<String, AtomicBoolean> closed = new ConcurrentHashMap<>();
  private ModelRepository repository;

  private ServedModel fakeLoad(Path dir, String name, String version, BatchingConfig batching) throws ModelLoadException {
    String content;
    try {
      content = Files.readString(dir.resolve("model.json"));
    } catch (Exception e) {
      throw new ModelLoadException("cannot read " + dir, e);
    }
    if (content.contains("broken")) {
      throw new ModelLoadException("cannot load model from " + dir + ": broken on purpose", null);
    }
    String v = content.startsWith("v=") ? content.substring(2).strip() : version;
    AtomicBoolean flag = new AtomicBoolean();
    closed.put(name + "@" + v + "#" + closed.size(), flag);
    try {
      BatchingPredictor predictor = new BatchingPredictor(name, new BatchingConfig(1, 1, Duration.ZERO, 4),
          () -> inputs -> inputs, null);
      ModelConfig config = new ModelConfig(name, v, "", name + ".pt", "synset.txt", null,
          ModelConfig.Input.of(1, 1, 1, new float[] {0}, new float[] {1}), ModelConfig.Output.DEFAULT, 1, null, null,
          null);
      return new ServedModel(config, List.of("a"), 1, () -> flag.set(true), predictor);
    } catch (InterruptedException e) {
      throw new ModelLoadException("interrupted", e);
    }
  }

  private void start(String defaultModel) throws Exception {
    repository = new ModelRepository(root, null, defaultModel, new BatchingConfig(1, 1, Duration.ZERO, 4),
        this::fakeLoad, Runnable::run);
    repository.loadInitial();
  }

  @AfterEach
  void close() {
    if (repository != null) {
      repository.close();
    }
  }

  private void write(String folder, String content) throws Exception {
    Path dir = root.resolve(folder);
    Files.createDirectories(dir);
    Path file = dir.resolve("model.json");
    boolean existed = Files.exists(file);
    Files.writeString(file, content);
    if (existed) { // make the change visible even within the file system's timestamp resolution
      Files.setLastModifiedTime(file, FileTime.fromMillis(Files.getLastModifiedTime(file).toMillis() + 2000));
    }
  }

  private String versionOf(String name) throws Exception {
    ServedModel m = repository.acquire(name);
    try {
      return m.config().version();
    } finally {
      m.release();
    }
  }

  @Test
  void loadsEveryFolderAndTheFirstByNameIsTheDefault() throws Exception {
    write("beta", "v=1");
    write("alpha", "v=1");
    Files.createDirectories(root.resolve("not-a-model"));
    start(null);
    assertEquals(List.of("alpha", "beta"), repository.all().stream().map(m -> m.config().name()).toList());
    assertEquals("alpha", repository.defaultModel());
    assertEquals("alpha", repository.acquire("").config().name());
    assertThrows(UnknownModelException.class, () -> repository.acquire("gamma"));
  }

  @Test
  void aRootHoldingAModelJsonIsOneModelNamedAsConfigured() throws Exception {
    write(".", "v=3");
    write("sub", "v=1"); // not a repository any more: sub-folders are the model's own files
    repository = new ModelRepository(root, "from-kserve", null, new BatchingConfig(1, 1, Duration.ZERO, 4),
        this::fakeLoad, Runnable::run);
    repository.loadInitial();
    assertEquals(List.of("from-kserve"), repository.all().stream().map(m -> m.config().name()).toList());
    assertEquals("3", versionOf(""));
    repository.close();
    repository = new ModelRepository(root, null, null, new BatchingConfig(1, 1, Duration.ZERO, 4),
        this::fakeLoad, Runnable::run);
    repository.loadInitial();
    assertEquals(root.getFileName().toString(), repository.defaultModel(), "named after its folder by default");
  }

  @Test
  void theHighestVersionFolderIsServed() throws Exception {
    write("m/1", "");
    write("m/10", "");
    write("m/9", "");
    start(null);
    assertEquals("10", versionOf("m"));
  }

  @Test
  void addedChangedAndRemovedFoldersArePickedUp() throws Exception {
    write("a", "v=1");
    start(null);
    write("b", "v=1");
    assertEquals(List.of(), repository.refresh());
    assertEquals("1", versionOf("b"));

    ServedModel old = repository.acquire("a"); // a request in flight on version 1
    write("a", "v=2");
    repository.refresh();
    assertEquals("2", versionOf("a"), "new requests go to the new version");
    assertFalse(closed.get("a@1#0").get(), "the old version must finish its in-flight request first");
    old.release();
    assertTrue(closed.get("a@1#0").get(), "the old version is closed after its last request");

    Files.delete(root.resolve("b/model.json"));
    Files.delete(root.resolve("b"));
    repository.refresh();
    assertThrows(UnknownModelException.class, () -> repository.acquire("b"));
    assertTrue(closed.entrySet().stream().filter(e -> e.getKey().startsWith("b@")).allMatch(e -> e.getValue().get()));
  }

  @Test
  void aBrokenFolderDoesNotTakeDownTheOthersNorTheVersionItReplaces() throws Exception {
    write("good", "v=1");
    write("bad", "broken");
    start(null);
    assertEquals(List.of("good"), repository.all().stream().map(m -> m.config().name()).toList());
    write("good", "broken now");
    List<String> failures = repository.refresh();
    assertEquals(1, failures.size(), failures.toString());
    assertTrue(failures.get(0).contains("broken on purpose"));
    assertEquals("1", versionOf("good"), "the loaded version keeps serving");
    assertEquals(List.of(), repository.refresh(), "an unchanged broken folder is not retried every scan");
  }

  @Test
  void nothingLoadableOrAMissingDefaultFailsAtStart() throws Exception {
    write("bad", "broken");
    ModelLoadException none = assertThrows(ModelLoadException.class, () -> start(null));
    assertTrue(none.getMessage().contains("no model could be loaded"), none.getMessage());
    write("ok", "v=1");
    ModelLoadException missing = assertThrows(ModelLoadException.class, () -> start("other"));
    assertTrue(missing.getMessage().contains("default model 'other'"), missing.getMessage());
  }
}
