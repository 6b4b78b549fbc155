package io.sparkattention;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Enforces the layering of ../shared/STYLE.md: the pure packages (kernel, plan, cost) import
 * nothing from Spark, Scala or Breeze, and the kernel imports nothing from the other layers.
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

  @org.junit.jupiter.api.Test
  void theScanSeesTheKernelSources() throws IOException {
    // Guards against a vacuous pass (wrong working directory, moved sources).
    try (Stream<Path> files = Files.walk(MAIN.resolve("kernel"))) {
      assertTrue(files.filter(p -> p.toString().endsWith(".java")).count() >= 5);
    }
    assertTrue(
        FORBIDDEN_IN_PURE.matcher("import org.apache.spark.sql.Row;").find(),
        "the pattern must catch a Spark import");
  }

  private static List<String> scan(Path dir, Pattern forbidden) throws IOException {
    List<String> offenders = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return offenders;
    }
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
