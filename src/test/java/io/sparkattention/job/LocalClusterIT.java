package io.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.sparkattention.fixtures.InjectedFaults;
import io.sparkattention.fixtures.OutputFiles;
import io.sparkattention.fixtures.TaskAttemptListener;
import io.sparkattention.spark.faults.FaultInjection;
import io.sparkattention.spark.io.SyntheticTokens;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.SparkConf;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import picocli.CommandLine;

/**
 * The attention job on a real standalone cluster on loopback ({@code jobs/local-cluster}: a Master
 * and two Workers, one executor of one core each): the sample job submitted with {@code
 * jobs/attention} writes the same bytes as in local mode; then, with this JVM as the driver, failed
 * first attempts, speculative copies and a Worker killed mid-job (with its executor and the shuffle
 * files on it) all leave the output byte-identical to a clean run. The cluster is its owner's: a
 * secret per start (mode 0600, never on a command line), a submission without it refused, every
 * port on loopback. Run by failsafe in {@code mvn verify}; the cluster is always stopped, and a
 * failure shows the tail of its logs.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LocalClusterIT {
  static final String MASTER = "spark://127.0.0.1:7077";
  static final Path ROOT = Path.of("").toAbsolutePath();
  static final Path CLUSTER = ROOT.resolve("target/local-cluster");
  static final Path WORK = ROOT.resolve("target/it-local-cluster");
  static final long JOB_TIMEOUT_SECONDS = 240;

  /** The sample job's options, with a fixed partition count so every run cuts files alike. */
  static final List<String> SAMPLE =
      List.of(
          "--input",
          "sample-data/tokens.jsonl",
          "--attention",
          "global",
          "--heads",
          "2",
          "--weights",
          "sample-data/weights.json",
          "--partitions",
          "4");

  /** The sample with a merge stage: causal attention cut into key groups. */
  static final List<String> SAMPLE_BLOCKS =
      List.of(
          "--input",
          "sample-data/tokens.jsonl",
          "--attention",
          "causal",
          "--heads",
          "2",
          "--weights",
          "sample-data/weights.json",
          "--strategy",
          "blocks",
          "--block-size",
          "64",
          "--query-tile-blocks",
          "2",
          "--key-tile-blocks",
          "2",
          "--partitions",
          "4");

  static SparkSession spark;
  static boolean started;

  /** The output path of the driver without the secret, which must stay unwritten. */
  static final Path WITHOUT_SECRET = WORK.resolve("sample-no-secret");

  /** The driver without the secret ({@link #startCluster}) and the Master's refusals before it. */
  static Launched stranger;

  static long refusalsBefore;

  /** Any failure: show what the cluster logged. */
  @RegisterExtension
  static final TestWatcher SHOW_LOGS_ON_FAILURE =
      new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
          System.out.println(context.getDisplayName() + " failed" + diagnostics());
        }
      };

  @BeforeAll
  static void startCluster() throws Exception {
    deleteTree(WORK);
    Files.createDirectories(WORK);
    if (run(60, "jobs/local-cluster", "status").code() == 0) {
      run(60, "jobs/local-cluster", "stop"); // left over from an interrupted run
    }
    long t0 = System.nanoTime();
    Result r = run(180, "jobs/local-cluster", "start");
    started = true;
    assertEquals(0, r.code(), "jobs/local-cluster start failed:\n" + r.output() + diagnostics());
    assertTrue(r.output().contains("workers:    2 alive of 2"), r.output());
    System.out.printf("LocalClusterIT: cluster started in %.1f s%n", seconds(t0));
    // The driver without the secret, started now and checked last: the Master gives up on it only
    // after its three hard-coded 20 s registration retries, a minute the other tests overlap. The
    // launcher finds no secret (another user's view: a cluster directory of their own), so the
    // driver does not authenticate.
    refusalsBefore = authenticationRefusals();
    stranger =
        submit(
            MASTER,
            WITHOUT_SECRET,
            SAMPLE,
            Map.of("SA_CLUSTER_DIR", WORK.resolve("other").toString()));
  }

  @Test
  @Order(0)
  void theClusterIsItsOwnersOnly() throws Exception {
    // The secret: in a directory and a file only the owner can read, on no command line.
    assertEquals(
        PosixFilePermissions.fromString("rwx------"),
        Files.getPosixFilePermissions(CLUSTER.resolve("pids")));
    assertEquals(
        PosixFilePermissions.fromString("rw-------"),
        Files.getPosixFilePermissions(CLUSTER.resolve("pids/secret.conf")));
    String secret = secret();
    assertEquals(64, secret.length(), "a 256-bit secret in hex");
    for (String daemon : List.of("master", "worker1", "worker2")) {
      long pid =
          Long.parseLong(Files.readString(CLUSTER.resolve("pids/" + daemon + ".pid")).strip());
      String cmdline = Files.readString(Path.of("/proc/" + pid + "/cmdline"));
      assertTrue(cmdline.contains("secret.conf"), daemon + " reads the secret: " + cmdline);
      assertFalse(cmdline.contains(secret), daemon + " has the secret on its command line");
    }
    // Every port of the Master and Workers (RPC and web UIs) on loopback only.
    Map<Integer, List<String>> listening = listeningAddresses();
    for (int port : List.of(7077, 8080, 8081, 8082, 8085, 8086)) {
      List<String> addresses = listening.get(port);
      assertTrue(addresses != null && !addresses.isEmpty(), "nothing listens on " + port);
      for (String a : addresses) {
        assertTrue(a.startsWith("127."), "port " + port + " listens on " + a + ", not loopback");
      }
    }
  }

  /** The local IPv4 addresses (v4-mapped ones of IPv6 sockets too) listening on each TCP port. */
  static Map<Integer, List<String>> listeningAddresses() throws IOException {
    Map<Integer, List<String>> out = new HashMap<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      List<String> lines = Files.readAllLines(Path.of(table));
      for (String line : lines.subList(1, lines.size())) {
        String[] f = line.strip().split("\\s+");
        if (!f[3].equals("0A")) { // LISTEN
          continue;
        }
        String[] local = f[1].split(":");
        int port = Integer.parseInt(local[1], 16);
        String hex = local[0];
        String address;
        if (hex.length() == 8 || hex.startsWith("0000000000000000FFFF0000")) {
          // IPv4, little-endian per 32-bit word: the last word of a v4-mapped address.
          String v4 = hex.substring(hex.length() - 8);
          address =
              Integer.parseInt(v4.substring(6, 8), 16)
                  + "."
                  + Integer.parseInt(v4.substring(4, 6), 16)
                  + "."
                  + Integer.parseInt(v4.substring(2, 4), 16)
                  + "."
                  + Integer.parseInt(v4.substring(0, 2), 16);
        } else {
          address = hex.equals("00000000000000000000000001000000") ? "::1" : "[" + hex + "]";
        }
        out.computeIfAbsent(port, k -> new ArrayList<>()).add(address);
      }
    }
    return out;
  }

  /** This start's secret, from the cluster's secret.conf. */
  static String secret() throws IOException {
    for (String line : Files.readAllLines(CLUSTER.resolve("pids/secret.conf"))) {
      String[] kv = line.strip().split("\\s+", 2);
      if (kv[0].equals("spark.authenticate.secret")) {
        return kv[1];
      }
    }
    throw new IllegalStateException("no spark.authenticate.secret in secret.conf");
  }

  @AfterAll
  static void stopCluster() throws Exception {
    try {
      if (stranger != null && stranger.process().isAlive()) { // a test before its check failed
        stranger.process().descendants().forEach(ProcessHandle::destroyForcibly);
        stranger.process().destroyForcibly();
      }
      if (spark != null) {
        spark.stop();
      }
    } finally {
      if (started) {
        Result r = run(60, "jobs/local-cluster", "stop");
        System.out.println("LocalClusterIT: " + r.output().strip());
      }
    }
  }

  @Test
  @Order(1)
  void sampleJobOnTheClusterWritesTheBytesOfLocalMode() throws Exception {
    Path onCluster = WORK.resolve("sample-cluster");
    Path local = WORK.resolve("sample-local");
    Map<String, Set<String>> appsBefore = new HashMap<>();
    for (String w : List.of("worker1", "worker2")) {
      appsBefore.put(w, apps(w));
    }
    long t0 = System.nanoTime();
    // Both at once: the cluster run spends much of its time waiting for executors to start.
    Launched cluster = submit(MASTER, onCluster, SAMPLE);
    Launched inLocalMode = submit("local[2]", local, SAMPLE);
    Result c = cluster.await();
    Result l = inLocalMode.await();
    System.out.printf(
        "LocalClusterIT: sample job on the cluster and in local mode %.1f s%n", seconds(t0));
    assertEquals(0, c.code(), "cluster run failed:\n" + c.output() + diagnostics());
    assertEquals(0, l.code(), "local run failed:\n" + l.output());

    // It really ran on the cluster: both Workers started an executor for it (an application
    // directory that was not there before, so those of earlier runs do not count).
    for (String w : List.of("worker1", "worker2")) {
      Set<String> added = apps(w);
      added.removeAll(appsBefore.get(w));
      assertFalse(added.isEmpty(), w + " started no executor for the job");
    }
    assertEquals(4, OutputFiles.parts(onCluster).size());
    assertArrayEquals(
        OutputFiles.bytes(local), OutputFiles.bytes(onCluster), "cluster and local bytes differ");
  }

  @Test
  @Order(2)
  void failedFirstAttemptsOnTheClusterGiveTheCleanRunsBytes() throws Exception {
    SparkSession s = clusterSession();
    Path clean = WORK.resolve("blocks-clean");
    TaskAttemptListener cleanRun = new TaskAttemptListener();
    withListener(s, cleanRun, () -> runJob(s, clean, SAMPLE_BLOCKS));
    // Speculation is on: a copy that wins kills the original, which is no fault.
    InjectedFaults.assertFailedWhereRulesSayAllowingSpeculation("", cleanRun);
    TaskAttemptListener attempts = new TaskAttemptListener();
    Path faulty = WORK.resolve("blocks-faulty");
    String rules = "route:*;tile:*;merge:*";
    withListener(
        s,
        attempts,
        () -> {
          s.conf().set(FaultInjection.FAIL_KEY, rules);
          try {
            runJob(s, faulty, SAMPLE_BLOCKS);
          } finally {
            s.conf().unset(FaultInjection.FAIL_KEY);
          }
        });
    // Every route, tile and merge task failed once, and nothing else did.
    InjectedFaults.assertFailedWhereRulesSayAllowingSpeculation(rules, attempts);
    assertArrayEquals(OutputFiles.bytes(clean), OutputFiles.bytes(faulty));
  }

  @Test
  @Order(3)
  void speculativeCopiesGiveTheCleanRunsBytes() throws Exception {
    SparkSession s = clusterSession();
    Path clean = WORK.resolve("blocks-clean");
    if (!Files.exists(clean)) {
      runJob(s, clean, SAMPLE_BLOCKS);
    }
    TaskAttemptListener attempts = new TaskAttemptListener();
    Path speculated = WORK.resolve("blocks-speculated");
    long t0 = System.nanoTime();
    withListener(
        s,
        attempts,
        () -> {
          // Stragglers that have written their whole partition (tile: shuffle files; merge: output
          // files) and then stall: speculation must run copies and commit exactly one attempt.
          // Tile partition 3 holds partial states (the sample's 4 are 1 of finished rows, computed
          // in the write stage, then 3 partial), so the two stragglers are in different stages:
          // two in one stage would hold both executors' cores, leaving a copy nowhere to run.
          s.conf().set(FaultInjection.SLOW_KEY, "tile:3;merge:1");
          s.conf().set(FaultInjection.SLOW_MILLIS_KEY, "120000");
          try {
            runJob(s, speculated, SAMPLE_BLOCKS);
          } finally {
            s.conf().unset(FaultInjection.SLOW_KEY);
            s.conf().unset(FaultInjection.SLOW_MILLIS_KEY);
          }
        });
    double took = seconds(t0);
    System.out.printf(
        "LocalClusterIT: speculated run %.1f s, %d speculative copies%n",
        took, attempts.speculativeLaunched());
    assertTrue(attempts.speculativeLaunched() >= 2, "speculative copies: " + attempts.failures());
    assertTrue(took < 120, "speculative copies replaced the stalled attempts: " + took + " s");
    assertArrayEquals(OutputFiles.bytes(clean), OutputFiles.bytes(speculated));
  }

  @Test
  @Order(4)
  void aWorkerKilledMidJobStillGivesTheCleanRunsBytes() throws Exception {
    SparkSession s = clusterSession();
    // JSON, whose files are byte-deterministic. (Parquet files written by different JVMs can
    // differ in their footers' lists of column encodings, which parquet-mr keeps in a HashSet,
    // even when every row is bit-identical.)
    Path input = WORK.resolve("synthetic.json");
    Dataset<Row> synthetic = SyntheticTokens.generate(s, 2, 8192, 16, 11);
    synthetic
        .withColumn(
            "x", org.apache.spark.ml.functions.vector_to_array(synthetic.col("x"), "float64"))
        .write()
        .json(input.toString());
    List<String> options =
        List.of(
            "--input",
            input.toString(),
            "--attention",
            "global",
            "--strategy",
            "blocks",
            "--block-size",
            "256",
            "--query-tile-blocks",
            "4",
            "--key-tile-blocks",
            "4",
            "--partitions",
            "8");
    Path clean = WORK.resolve("synthetic-clean");
    long t0 = System.nanoTime();
    runJob(s, clean, options);
    System.out.printf("LocalClusterIT: synthetic job, clean %.1f s%n", seconds(t0));

    // Kill worker 2 (and its executor) as soon as a tile task (reads one shuffle, writes the
    // next) has finished on it: its shuffle files are lost with it and must be recomputed.
    long workerPid = Long.parseLong(Files.readString(CLUSTER.resolve("pids/worker2.pid")).strip());
    AtomicBoolean killed = new AtomicBoolean();
    SparkListener killer =
        new SparkListener() {
          @Override
          public void onTaskEnd(SparkListenerTaskEnd end) {
            boolean tileTask =
                end.taskType().equals("ShuffleMapTask")
                    && end.taskMetrics() != null
                    && end.taskMetrics().shuffleReadMetrics().recordsRead() > 0
                    && end.taskMetrics().shuffleWriteMetrics().recordsWritten() > 0;
            if (tileTask
                && end.taskInfo().successful()
                && end.taskInfo().host().equals("127.0.0.2")
                && killed.compareAndSet(false, true)) {
              killTree(workerPid);
            }
          }
        };
    TaskAttemptListener attempts = new TaskAttemptListener();
    Path afterKill = WORK.resolve("synthetic-killed");
    long t1 = System.nanoTime();
    s.sparkContext().addSparkListener(killer);
    try {
      withListener(s, attempts, () -> runJob(s, afterKill, options));
    } finally {
      s.sparkContext().removeSparkListener(killer);
    }
    System.out.printf(
        "LocalClusterIT: synthetic job, worker killed %.1f s (%d executor(s) lost, %d failed"
            + " attempts)%n",
        seconds(t1), attempts.executorsRemoved(), attempts.failures().size());
    assertTrue(killed.get(), "no tile task finished on worker 2, nothing was killed");
    assertTrue(attempts.executorsRemoved() >= 1, "the executor was lost: " + attempts.failures());
    assertEquals(2 * 8192, s.read().json(afterKill.toString()).count());
    assertArrayEquals(OutputFiles.bytes(clean), OutputFiles.bytes(afterKill));
  }

  @Test
  @Order(5)
  void aDriverWithoutTheSecretIsRefused() throws Exception {
    // Started with the cluster (startCluster); its registration retries ran during the tests above.
    long t0 = System.nanoTime();
    Result refused = stranger.await();
    System.out.printf(
        "LocalClusterIT: the driver without the secret, %.1f s more after the other tests%n",
        seconds(t0));
    // Refused by the Master's authentication, never registered, nothing written.
    assertTrue(refused.code() > 0, "a driver without the secret ran:\n" + refused.output());
    assertTrue(
        refused.output().contains("All masters are unresponsive"),
        "refused for another reason:\n" + refused.output());
    assertTrue(
        refused.output().contains("error: the Spark application was stopped before the job"),
        "the refusal is not said as one:\n" + refused.output());
    assertTrue(
        authenticationRefusals() > refusalsBefore,
        "the Master logged no refused authentication" + diagnostics());
    assertFalse(Files.exists(WITHOUT_SECRET), "a refused driver wrote its output");
  }

  // ------------------------------------------------------------------ helpers

  /** This JVM as the driver of an application on the cluster, with speculation on. */
  static synchronized SparkSession clusterSession() throws Exception {
    if (spark != null) {
      return spark;
    }
    SparkConf conf = new SparkConf().setMaster(MASTER).setAppName("spark-attention LocalClusterIT");
    defaults().forEach(conf::set);
    // The cluster's secret, as jobs/lib/launch.sh passes it to a job submitted to the cluster.
    conf.set("spark.authenticate", "true").set("spark.authenticate.secret", secret());
    // As jobs/lib/launch.sh does: the executors' JVM options from their one list. The Kryo
    // registrator comes from spark-defaults.conf; as in every test, a class it misses must fail.
    conf.set("spark.executor.defaultJavaOptions", jvmOptions())
        .set("spark.kryo.registrationRequired", "true")
        .set("spark.jars", shadedJar().toString())
        .set("spark.ui.enabled", "false")
        .set("spark.speculation", "true")
        .set("spark.speculation.interval", "100ms")
        .set("spark.speculation.quantile", "0.5")
        .set("spark.speculation.multiplier", "2");
    long t0 = System.nanoTime();
    spark = SparkSession.builder().config(conf).getOrCreate();
    // Wait for both executors: the driver counts itself too.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (spark.sparkContext().getExecutorMemoryStatus().size() < 3) {
      if (System.nanoTime() > deadline) {
        fail("executors did not register within 90 s" + diagnostics());
      }
      Thread.sleep(200);
    }
    System.out.printf("LocalClusterIT: driver with 2 executors up in %.1f s%n", seconds(t0));
    return spark;
  }

  /** conf/spark-defaults.conf as the launcher passes it to spark-submit. */
  static Map<String, String> defaults() throws IOException {
    Map<String, String> m = new HashMap<>();
    for (String line : Files.readAllLines(ROOT.resolve("conf/spark-defaults.conf"))) {
      String t = line.strip();
      if (t.isEmpty() || t.startsWith("#")) {
        continue;
      }
      String[] kv = t.split("\\s+", 2);
      m.put(kv[0], kv.length > 1 ? kv[1] : "");
    }
    return m;
  }

  /** conf/jvm-options.txt (one option per line, # comments) as one string of options. */
  static String jvmOptions() throws IOException {
    List<String> options = new ArrayList<>();
    for (String line : Files.readAllLines(ROOT.resolve("conf/jvm-options.txt"))) {
      String t = line.replaceFirst("#.*", "").strip();
      if (!t.isEmpty()) {
        options.addAll(List.of(t.split("\\s+")));
      }
    }
    return String.join(" ", options);
  }

  /** This build's shaded jar (its directory: target, or target/spark-4.1 with -Pspark-4.1). */
  static Path shadedJar() throws IOException {
    Path dir = ROOT.resolve(System.getProperty("sa.build.dir", "target"));
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(p -> p.getFileName().toString().matches("spark-attention-.*-shaded\\.jar"))
          .findFirst()
          .orElseThrow(
              () -> new IllegalStateException("no shaded jar in " + dir + ": mvn package"));
    }
  }

  /** Runs the attention job in this JVM on {@code s}, as its main would. */
  static void runJob(SparkSession s, Path out, List<String> options) {
    List<String> args = new ArrayList<>(options);
    args.addAll(List.of("--output", out.toString()));
    AttentionJob job = new AttentionJob();
    new CommandLine(job).parseArgs(args.toArray(new String[0]));
    AttentionJob.run(s, job.config());
  }

  interface Body {
    void run() throws Exception;
  }

  static void withListener(SparkSession s, TaskAttemptListener l, Body body) throws Exception {
    s.sparkContext().addSparkListener(l);
    try {
      body.run();
    } finally {
      s.sparkContext().listenerBus().waitUntilEmpty();
      s.sparkContext().removeSparkListener(l);
    }
  }

  /** SIGKILL a process and everything it started (a Worker and its executor). */
  static void killTree(long pid) {
    ProcessHandle.of(pid)
        .ifPresent(
            p -> {
              p.descendants().forEach(ProcessHandle::destroyForcibly);
              p.destroyForcibly();
            });
  }

  /** jobs/attention with a master, writing to {@code out}, started in the background. */
  static Launched submit(String master, Path out, List<String> options) throws IOException {
    return submit(master, out, options, Map.of());
  }

  /** As {@link #submit(String, Path, List)}, with more environment variables. */
  static Launched submit(String master, Path out, List<String> options, Map<String, String> env)
      throws IOException {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "jobs/attention",
                "--master",
                master,
                "--conf",
                "spark.ui.enabled=false",
                "--conf",
                "spark.kryo.registrationRequired=true",
                "--"));
    cmd.addAll(options);
    cmd.addAll(List.of("--output", out.toString()));
    return start(JOB_TIMEOUT_SECONDS, env, cmd.toArray(new String[0]));
  }

  /** How many connections the Master refused for want of authentication so far (its log). */
  static long authenticationRefusals() throws IOException {
    Path log = CLUSTER.resolve("logs/master.log");
    try (Stream<String> lines = Files.lines(log, StandardCharsets.UTF_8)) {
      return lines.filter(l -> l.contains("Expected SaslMessage")).count();
    }
  }

  record Result(int code, String output) {}

  /** A command running in the background; {@link #await} waits for it, killing it on timeout. */
  record Launched(Process process, Path log, long timeoutSeconds, String command) {
    Result await() throws Exception {
      if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly().waitFor();
        return new Result(
            -1,
            command
                + " timed out after "
                + timeoutSeconds
                + " s\n"
                + Files.readString(log, StandardCharsets.UTF_8));
      }
      return new Result(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }
  }

  /** Starts a command from the project root, output and errors together into a log file. */
  static Launched start(long timeoutSeconds, String... cmd) throws IOException {
    return start(timeoutSeconds, Map.of(), cmd);
  }

  /** As {@link #start(long, String...)}, with more environment variables. */
  static Launched start(long timeoutSeconds, Map<String, String> env, String... cmd)
      throws IOException {
    Path log = Files.createTempFile(WORK, "cmd", ".log");
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(ROOT.toFile());
    pb.environment().remove("SPARK_HOME"); // the launcher would look for bin/spark-submit there
    pb.environment().put("SA_SKIP_BUILD", "1"); // the jar this build made, never a nested build
    pb.environment().putAll(env);
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    return new Launched(pb.start(), log, timeoutSeconds, String.join(" ", cmd));
  }

  /** Runs a command from the project root and waits for it. */
  static Result run(long timeoutSeconds, String... cmd) throws Exception {
    return start(timeoutSeconds, cmd).await();
  }

  /** The last lines of the cluster's logs and of each executor's stderr. */
  static String diagnostics() {
    StringBuilder b = new StringBuilder("\n--- cluster logs (" + CLUSTER + ")\n");
    try (Stream<Path> files = Files.walk(CLUSTER)) {
      List<Path> logs =
          files
              .filter(Files::isRegularFile)
              .filter(p -> p.toString().endsWith(".log") || p.endsWith("stderr"))
              .sorted(Comparator.comparing(Path::toString))
              .collect(Collectors.toList());
      for (Path l : logs) {
        List<String> lines = Files.readAllLines(l, StandardCharsets.UTF_8);
        b.append("--- ").append(ROOT.relativize(l)).append('\n');
        lines
            .subList(Math.max(0, lines.size() - 20), lines.size())
            .forEach(x -> b.append(x).append('\n'));
      }
    } catch (IOException e) {
      b.append("(cannot read the logs: ").append(e).append(")\n");
    }
    return b.toString();
  }

  static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
        Files.delete(p);
      }
    }
  }

  /** The names of a Worker's application directories (app-…) now. */
  private static Set<String> apps(String worker) throws IOException {
    Path dir = CLUSTER.resolve("work").resolve(worker);
    if (!Files.isDirectory(dir)) {
      return new HashSet<>();
    }
    try (Stream<Path> apps = Files.list(dir)) {
      return apps.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith("app-"))
          .collect(Collectors.toCollection(HashSet::new));
    }
  }
}
