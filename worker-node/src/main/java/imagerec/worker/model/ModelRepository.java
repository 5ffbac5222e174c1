package imagerec.worker.model;

import imagerec.worker.inference.BatchingConfig;
import imagerec.worker.inference.PredictFunction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Executor;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The models a worker serves, loaded from a repository folder with one sub-folder per model:
 * either {@code <root>/<name>/model.json} (plus the model file and labels) or version folders
 * {@code <root>/<name>/<version>/model.json}, of which the highest numeric version is served. A root
 * that holds a {@code model.json} itself is one model's folder (KServe's layout: the storage
 * initializer puts the model's files in {@code /mnt/models}), served under the configured name.
 *
 * <p>{@link #refresh()} rescans the folder: a new or changed model folder is loaded and warmed
 * before it takes traffic, then the model it replaces is retired (closed once its in-flight
 * requests finish); a removed folder's model is retired. A folder that fails to load is logged
 * and skipped, and whatever served before keeps serving. Readers ({@link #acquire}, {@link #all})
 * use an immutable state published through a volatile field; refreshes are serialized.
 */
public final class ModelRepository implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ModelRepository.class);

  /** Loads one model folder (replaced by fakes in tests). */
  @FunctionalInterface
  interface Loader {
    ServedModel load(Path dir, String defaultName, String defaultVersion, BatchingConfig defaults)
        throws ModelLoadException;
  }

  /** A model folder found by a scan: where its files are and what they looked like. */
  private record Candidate(Path folder, Path source, String name, String version, String fingerprint) {}

  /** A loaded model and the fingerprint of the files it was loaded from. */
  private record Entry(ServedModel model, String fingerprint) {}

  /** What readers see: models by folder and by name. */
  private record State(Map<Path, Entry> byFolder, Map<String, ServedModel> byName) {}

  private final Path root;
  private final String rootModelName;
  private final String configuredDefault;
  private final BatchingConfig batching;
  private final Loader loader;
  private final Executor closer;
  private final Map<Path, String> failedFingerprints = new HashMap<>();
  private volatile State state = new State(Map.of(), Map.of());

  ModelRepository(Path root, String rootModelName, String defaultModel, BatchingConfig batching, Loader loader,
                  Executor closer) {
    this.root = root;
    this.rootModelName = rootModelName != null ? rootModelName : root.toAbsolutePath().normalize().getFileName().toString();
    this.configuredDefault = defaultModel == null || defaultModel.isBlank() ? null : defaultModel;
    this.batching = batching;
    this.loader = loader;
    this.closer = closer;
  }

  /**
   * Loads every model folder of the repository; fails when none loads, or when the configured
   * default model is not among them.
   *
   * @param closer runs the closing of retired models (off the inference threads)
   */
  public static ModelRepository load(RepositoryConfig config, BatchingConfig batching, Executor closer)
      throws ModelLoadException {
    return load(config, batching, 1, UnaryOperator.identity(), closer);
  }

  /**
   * As {@link #load(RepositoryConfig, BatchingConfig, Executor)}, with every model's predict
   * functions passed through {@code wrap} (the hidden pace options of tests and benchmarks).
   *
   * @param intraOpThreads threads one inference call may use
   */
  public static ModelRepository load(RepositoryConfig config, BatchingConfig batching, int intraOpThreads,
                                     UnaryOperator<PredictFunction> wrap, Executor closer) throws ModelLoadException {
    ModelRepository repository = new ModelRepository(config.dir(), config.modelName(), config.defaultModel(), batching,
        (dir, name, version, defaults) -> ServedModel.load(dir, name, version, defaults, intraOpThreads, wrap),
        closer);
    repository.loadInitial();
    return repository;
  }

  void loadInitial() throws ModelLoadException {
    List<String> failures = refresh();
    if (state.byName().isEmpty()) {
      throw new ModelLoadException("no model could be loaded from " + root
          + (failures.isEmpty() ? " (no folder with a model.json)" : ": " + failures), null);
    }
    if (configuredDefault != null && !state.byName().containsKey(configuredDefault)) {
      close();
      throw new ModelLoadException("default model '" + configuredDefault + "' is not among the loaded models "
          + state.byName().keySet(), null);
    }
  }

  /**
   * Rescans the repository and applies what changed.
   *
   * @return the folders that failed to load in this pass, with the reason
   */
  public synchronized List<String> refresh() {
    Map<Path, Candidate> found = scan();
    if (found == null) {
      return List.of("cannot read model repository " + root + "; the loaded models keep serving");
    }
    State current = state;
    Map<Path, Entry> next = new TreeMap<>(current.byFolder());
    List<ServedModel> toRetire = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    for (Path folder : current.byFolder().keySet()) {
      if (!found.containsKey(folder)) {
        Entry gone = next.remove(folder);
        toRetire.add(gone.model());
        log.info("model {} version {} removed: its folder {} is gone", gone.model().config().name(),
            gone.model().config().version(), folder);
      }
    }
    for (Candidate c : found.values()) {
      Entry existing = current.byFolder().get(c.folder());
      if (existing != null && existing.fingerprint().equals(c.fingerprint())
          || c.fingerprint().equals(failedFingerprints.get(c.folder()))) {
        continue; // unchanged, or already failed in this shape
      }
      long start = System.nanoTime();
      ServedModel loaded;
      try {
        loaded = loader.load(c.source(), c.name(), c.version(), batching);
      } catch (ModelLoadException e) {
        failedFingerprints.put(c.folder(), c.fingerprint());
        failures.add(e.getMessage());
        log.error("{}{}", e.getMessage(), existing != null ? "; the loaded version keeps serving" : "");
        continue;
      }
      failedFingerprints.remove(c.folder());
      String clash = nameClash(next, c.folder(), loaded.config().name());
      if (clash != null) {
        failures.add(c.folder() + ": model name " + loaded.config().name() + " is already served from " + clash);
        log.error("{}", failures.get(failures.size() - 1));
        failedFingerprints.put(c.folder(), c.fingerprint());
        loaded.retire(closer);
        continue;
      }
      next.put(c.folder(), new Entry(loaded, c.fingerprint()));
      if (existing != null) {
        toRetire.add(existing.model());
      }
      log.info("loaded model {} version {} from {} ({} of {}, input {}) in {} ms{}", loaded.config().name(),
          loaded.config().version(), c.source(), loaded.kind().name().toLowerCase(java.util.Locale.ROOT),
          loaded.outputSize(), loaded.config().input(),
          (System.nanoTime() - start) / 1_000_000,
          existing != null ? ", replacing version " + existing.model().config().version() : "");
    }
    Map<String, ServedModel> byName = new TreeMap<>();
    next.values().forEach(e -> byName.put(e.model().config().name(), e.model()));
    state = new State(Collections.unmodifiableMap(next), Collections.unmodifiableMap(byName));
    toRetire.forEach(m -> m.retire(closer)); // after the new state is visible: no new leases on them
    return failures;
  }

  private static String nameClash(Map<Path, Entry> models, Path folder, String name) {
    for (Map.Entry<Path, Entry> e : models.entrySet()) {
      if (!e.getKey().equals(folder) && e.getValue().model().config().name().equals(name)) {
        return e.getKey().toString();
      }
    }
    return null;
  }

  /** The model folders under the root, or null when the root cannot be read. */
  private Map<Path, Candidate> scan() {
    Map<Path, Candidate> found = new LinkedHashMap<>();
    if (Files.isRegularFile(root.resolve("model.json"))) {
      found.put(root, new Candidate(root, root, rootModelName, "1", fingerprint(root)));
      return found;
    }
    List<Path> folders;
    try (Stream<Path> list = Files.list(root)) {
      folders = list.filter(Files::isDirectory).sorted().toList();
    } catch (IOException e) {
      log.error("cannot read model repository {}: {}", root, e.toString());
      return null;
    }
    for (Path folder : folders) {
      String name = folder.getFileName().toString();
      if (Files.isRegularFile(folder.resolve("model.json"))) {
        found.put(folder, new Candidate(folder, folder, name, "1", fingerprint(folder)));
        continue;
      }
      latestVersion(folder).ifPresent(v -> found.put(folder,
          new Candidate(folder, v, name, v.getFileName().toString(), fingerprint(v))));
    }
    return found;
  }

  /** The highest numeric sub-folder holding a model.json. */
  private static Optional<Path> latestVersion(Path folder) {
    try (Stream<Path> list = Files.list(folder)) {
      return list.filter(p -> p.getFileName().toString().matches("\\d{1,18}"))
          .filter(p -> Files.isRegularFile(p.resolve("model.json")))
          .max(Comparator.comparingLong(p -> Long.parseLong(p.getFileName().toString())));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** Names, sizes and modification times of the files in a model folder. */
  private static String fingerprint(Path dir) {
    StringBuilder sb = new StringBuilder(dir.toString());
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
        sb.append('|').append(f.getFileName()).append(':').append(Files.size(f)).append(':')
            .append(Files.getLastModifiedTime(f).toMillis());
      }
    } catch (IOException e) {
      sb.append("|unreadable");
    }
    return sb.toString();
  }

  /**
   * The model called {@code name} (the default model for an empty name), with a lease taken: the
   * caller must {@link ServedModel#release()} it when the request ends.
   */
  public ServedModel acquire(String name) throws UnknownModelException {
    for (int attempt = 0; attempt < 3; attempt++) {
      State s = state;
      String wanted = name == null || name.isEmpty() ? defaultModel(s) : name;
      ServedModel model = wanted == null ? null : s.byName().get(wanted);
      if (model == null) {
        break;
      }
      if (model.tryAcquire()) {
        return model;
      }
      // retired between the read and the lease: the next state has its replacement
    }
    throw new UnknownModelException(name, state.byName().keySet());
  }

  private String defaultModel(State s) {
    if (configuredDefault != null) {
      return configuredDefault;
    }
    return s.byName().isEmpty() ? null : s.byName().keySet().iterator().next();
  }

  /** The model called {@code name} (or the default), for its metadata only: no lease is taken. */
  public ServedModel describe(String name) throws UnknownModelException {
    State s = state;
    String wanted = name == null || name.isEmpty() ? defaultModel(s) : name;
    ServedModel model = wanted == null ? null : s.byName().get(wanted);
    if (model == null) {
      throw new UnknownModelException(name, s.byName().keySet());
    }
    return model;
  }

  /** The model used when a request names none. */
  public String defaultModel() {
    String name = defaultModel(state);
    return name == null ? "" : name;
  }

  /** All models now served, in name order. */
  public List<ServedModel> all() {
    return List.copyOf(state.byName().values());
  }

  /** Closes every model at once (at shutdown, after the server has stopped). */
  @Override
  public synchronized void close() {
    for (Entry e : state.byFolder().values()) {
      try {
        e.model().close();
      } catch (Exception ex) {
        log.warn("error closing model {}", e.model().config().name(), ex);
      }
    }
    state = new State(Map.of(), Map.of());
  }
}
