package io.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code spark-submit --packages} from the local Maven repository, as a Spark user installs a
 * library: this build's jar and its installed (flattened) POM are put into the local repository
 * exactly where {@code mvn install} puts them, then Spark's own {@code SparkSubmit} launcher, on a
 * classpath of Spark alone ({@code target/spark-classpath.txt}), resolves {@code
 * io.sparkattention:spark-attention-LINE_SCALA:VERSION} and its dependencies (EJML, picocli,
 * XChart) through its default resolvers, and runs the README's sample command from the resolved
 * jars. The output has the bits {@link SampleOutputBitsSparkTest} records. Run by failsafe in
 * {@code mvn verify}, on the active Spark line.
 */
class PackagesIT {
  static final Path ROOT = Path.of("").toAbsolutePath();
  static final long TIMEOUT_SECONDS = 600;

  @TempDir Path tmp;

  @Test
  void sparkSubmitPackagesResolvesFromTheLocalRepositoryAndRuns() throws Exception {
    Path build = ROOT.resolve(System.getProperty("sa.build.dir", "target"));
    String artifact = System.getProperty("sa.artifact");
    String version = System.getProperty("sa.version");
    Path localRepo = Path.of(System.getProperty("sa.local.repo"));
    assertTrue(
        artifact != null && artifact.matches("spark-attention-\\d+\\.\\d+_2\\.1\\d"), artifact);

    // What mvn install does with the jar and the POM (the flattened one: ids and versions
    // resolved).
    Path dir = localRepo.resolve("io/sparkattention").resolve(artifact).resolve(version);
    Files.createDirectories(dir);
    String base = artifact + "-" + version;
    Files.copy(
        build.resolve(base + ".jar"),
        dir.resolve(base + ".jar"),
        StandardCopyOption.REPLACE_EXISTING);
    Files.copy(
        build.resolve("flattened-pom.xml"),
        dir.resolve(base + ".pom"),
        StandardCopyOption.REPLACE_EXISTING);

    Path out = tmp.resolve("out");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("@" + ROOT.resolve("conf/jvm-options.txt"));
    cmd.add("-Xmx1g");
    cmd.add("-Dlog4j2.configurationFile=" + ROOT.resolve("conf/log4j2.properties"));
    cmd.add("-cp");
    cmd.add(Files.readString(build.resolve("spark-classpath.txt")).strip());
    cmd.add("org.apache.spark.deploy.SparkSubmit");
    cmd.addAll(
        List.of(
            "--master",
            "local[2]",
            // A fresh Ivy cache: the jars come from the repository, not an earlier run.
            "--conf",
            "spark.jars.ivy=" + tmp.resolve("ivy"),
            "--conf",
            "spark.ui.enabled=false",
            "--packages",
            "io.sparkattention:" + artifact + ":" + version,
            "--class",
            "io.sparkattention.job.AttentionJob",
            // No application jar: the main class comes from the packages.
            "spark-internal",
            "--input",
            "sample-data/tokens.jsonl",
            "--output",
            out.toString()));
    cmd.addAll(List.of(SampleOutputBitsSparkTest.SAMPLE));
    Path log = tmp.resolve("spark-submit.log");
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .directory(ROOT.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().remove("SPARK_HOME");
    Process p = pb.start();
    if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly().waitFor();
    }
    String text = Files.readString(log, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), () -> "spark-submit --packages failed:\n" + tail(text));
    assertTrue(
        text.contains("found io.sparkattention#" + artifact + ";" + version + " in local-m2-cache"),
        () -> "not resolved from the local Maven repository:\n" + tail(text));
    assertTrue(
        text.contains("found org.ejml#ejml-ddense;"),
        () -> "EJML not resolved through the POM:\n" + tail(text));
    String line = artifact.substring("spark-attention-".length()).replace("_", ", Scala ");
    assertTrue(
        text.contains("(built for Spark " + line + ") on Spark "),
        () -> "no version line for " + line + ":\n" + tail(text));

    assertEquals(recordedBits(), SampleOutputBitsSparkTest.digest(readJson(out)));
  }

  /** The JSON lines result by "seq_id/pos". */
  static Map<String, double[]> readJson(Path out) throws IOException {
    ObjectMapper json = new ObjectMapper();
    Map<String, double[]> rows = new TreeMap<>();
    try (Stream<Path> files = Files.list(out)) {
      for (Path f : files.filter(f -> f.getFileName().toString().startsWith("part-")).toList()) {
        for (String l : Files.readAllLines(f, StandardCharsets.UTF_8)) {
          JsonNode n = json.readTree(l);
          JsonNode o = n.get("out");
          double[] v = new double[o.size()];
          for (int i = 0; i < v.length; i++) {
            v[i] = o.get(i).asDouble();
          }
          rows.put(n.get("seq_id").asText() + "/" + n.get("pos").asLong(), v);
        }
      }
    }
    return rows;
  }

  static String recordedBits() throws IOException {
    try (InputStream in =
        SampleOutputBitsSparkTest.class.getResourceAsStream("sample-output-bits.txt")) {
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return text.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).findFirst().orElseThrow();
    }
  }

  private static String tail(String text) {
    String[] lines = text.split("\n");
    return String.join("\n", List.of(lines).subList(Math.max(0, lines.length - 60), lines.length));
  }
}
