package io.sparkattention;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Enforces the layering of ../shared/STYLE.md: the pure packages (kernel, plan, cost) import
 * nothing from Spark, Scala or Breeze, and the kernel imports nothing from the other layers; inside
 * the Spark layer, the sub-packages depend one way:
 *
 * <pre>
 *   job → spark.{ml, cost} → spark (entry points) → spark.{maps, pooling} → spark.attention
 *       → spark.validate → spark.{io, metrics}
 * </pre>
 *
 * (maps and pooling are independent of each other; pooling needs only validate, io and metrics).
 * Below the entry points, sub-packages may use the root's value types ({@code AttentionSpec},
 * {@code Selection}, {@code InputException}) but not its pipeline or facade.
 */
class DependencyDirectionTest {
  private static final Path MAIN = Paths.get("src/main/java/io/sparkattention");
  private static final Pattern FORBIDDEN_IN_PURE =
      Pattern.compile(
          "^\\s*import\\s+(static\\s+)?(org\\.apache\\.spark|scala\\.|breeze\\.)",
          Pattern.MULTILINE);
  private static final Pattern UPPER_LAYERS_IN_KERNEL =
      Pattern.compile(
          "^\\s*import\\s+(static\\s+)?io\\.sparkattention\\.(plan|cost|spark|job)\\b",
          Pattern.MULTILINE);

  @ParameterizedTest
  @ValueSource(strings = {"kernel", "plan", "cost", "chart"})
  void pureLayersImportNoSpark(String pkg) throws IOException {
    List<String> offenders = scan(MAIN.resolve(pkg), FORBIDDEN_IN_PURE);
    assertTrue(offenders.isEmpty(), pkg + " must not import Spark, Scala or Breeze: " + offenders);
  }

  @org.junit.jupiter.api.Test
  void kernelImportsNoUpperLayer() throws IOException {
    List<String> offenders = scan(MAIN.resolve("kernel"), UPPER_LAYERS_IN_KERNEL);
    assertTrue(offenders.isEmpty(), "kernel must not depend on plan/cost/spark/job: " + offenders);
  }

  /** What each Spark sub-package must not import (sub-packages of io.sparkattention.spark). */
  private static final Map<String, String> SPARK_FORBIDDEN =
      Map.of(
          "io", "validate|attention|maps|pooling|metrics|cost|ml",
          "faults", "io|validate|attention|maps|pooling|metrics|cost|ml",
          "metrics", "io|validate|attention|maps|pooling|cost|ml",
          "validate", "attention|maps|pooling|cost|ml",
          "attention", "maps|pooling|cost|ml",
          "maps", "pooling|cost|ml",
          "pooling", "attention|maps|cost|ml",
          "ml", "cost");

  /** Classes of the Spark root that only the layers above it (ml, cost, job) may use. */
  private static final String ROOT_ENTRY_POINTS =
      "AttentionPipeline|SparkAttention|AttentionRequest";

  @ParameterizedTest
  @ValueSource(
      strings = {"io", "metrics", "faults", "validate", "attention", "maps", "pooling", "ml"})
  void sparkSubPackagesDependOneWay(String sub) throws IOException {
    Pattern forbidden =
        Pattern.compile(
            "^\\s*import\\s+(static\\s+)?io\\.sparkattention\\.(spark\\.("
                + SPARK_FORBIDDEN.get(sub)
                + ")\\.|job\\.)",
            Pattern.MULTILINE);
    List<String> offenders = scan(MAIN.resolve("spark").resolve(sub), forbidden);
    assertTrue(offenders.isEmpty(), "spark." + sub + " imports a layer above it: " + offenders);
    if (!sub.equals("ml")) {
      Pattern entryPoints =
          Pattern.compile(
              "^\\s*import\\s+io\\.sparkattention\\.spark\\.(" + ROOT_ENTRY_POINTS + ");",
              Pattern.MULTILINE);
      List<String> users = scan(MAIN.resolve("spark").resolve(sub), entryPoints);
      assertTrue(users.isEmpty(), "spark." + sub + " uses the root's entry points: " + users);
    }
  }

  @org.junit.jupiter.api.Test
  void sparkRootImportsNoClientOfIt() throws IOException {
    Pattern clients =
        Pattern.compile(
            "^\\s*import\\s+(static\\s+)?io\\.sparkattention\\.(spark\\.(ml|cost)\\.|job\\.)",
            Pattern.MULTILINE);
    List<String> offenders = new ArrayList<>();
    try (Stream<Path> files = Files.list(MAIN.resolve("spark"))) {
      for (Path p : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".java"))::iterator) {
        if (clients.matcher(Files.readString(p)).find()) {
          offenders.add(p.toString());
        }
      }
    }
    assertTrue(offenders.isEmpty(), "the spark root must not import ml, cost or job: " + offenders);
  }

  @org.junit.jupiter.api.Test
  void theScanSeesTheKernelSources() throws IOException {
    // Guards against a vacuous pass (wrong working directory, moved sources).
    try (Stream<Path> files = Files.walk(MAIN.resolve("kernel"))) {
      assertTrue(files.filter(p -> p.toString().endsWith(".java")).count() >= 5);
    }
    assertTrue(
        FORBIDDEN_IN_PURE.matcher("import org.apache.spark.sql.Row;").find(),
        "the pattern must catch a Spark import");
    try (Stream<Path> files = Files.walk(MAIN.resolve("spark").resolve("attention"))) {
      assertTrue(files.filter(p -> p.toString().endsWith(".java")).count() >= 5);
    }
  }

  private static List<String> scan(Path dir, Pattern forbidden) throws IOException {
    List<String> offenders = new ArrayList<>();
    // A rule over a package that was renamed away would pass on nothing: fail instead.
    assertTrue(Files.isDirectory(dir), dir + " is not a directory: the rule checks nothing");
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".java"))::iterator) {
        if (forbidden.matcher(Files.readString(p)).find()) {
          offenders.add(p.toString());
        }
      }
    }
    return offenders;
  }
}
