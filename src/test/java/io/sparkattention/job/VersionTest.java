package io.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The version every job prints comes from the pom, its one copy. */
class VersionTest {
  /** The project's own {@code <version>} (indented by two, outside any dependency or plugin). */
  static String pomVersion() throws IOException {
    Matcher m =
        Pattern.compile("(?m)^  <version>([^<]+)</version>$")
            .matcher(Files.readString(Path.of("pom.xml")));
    if (!m.find()) {
      throw new IllegalStateException("no project <version> in pom.xml");
    }
    return m.group(1);
  }

  @Test
  void fromClassesTheFilteredResourceGivesThePomsVersion() throws IOException {
    // Tests run from target/classes: no manifest, so this is the filtered resource.
    assertEquals(pomVersion(), Version.number());
  }

  @Test
  void theBuildKnowsItsSparkLineAndTheRuntimeItRunsOn() {
    // The line the tests run on (src/test/spark-LINE/java) is the line the classes were built for.
    String line = io.sparkattention.fixtures.SparkTestSession.line();
    String scalaBinary = line.equals("3.5") ? "2.12" : "2.13";
    assertEquals(line + "_" + scalaBinary, Version.builtFor());
    String spark = io.sparkattention.fixtures.SparkTestSession.spark().version();
    String running = scala.util.Properties.versionNumberString();
    assertEquals(true, Version.fits(spark, running), spark + " / " + running);
    assertEquals(false, Version.fits(line.equals("3.5") ? "4.1.0" : "3.5.7", running));
    assertEquals(
        "spark-attention "
            + Version.release(Version.number())
            + " (built for Spark "
            + line
            + ", Scala "
            + scalaBinary
            + ") on Spark "
            + spark
            + ", Scala "
            + running
            + ", Java "
            + Runtime.version(),
        Version.runtime(spark));
  }

  @Test
  void releaseDropsOnlyASnapshotSuffix() {
    assertEquals("0.1.0", Version.release("0.1.0-SNAPSHOT"));
    assertEquals("0.1.0", Version.release("0.1.0"));
    assertEquals("1.2.3-rc1", Version.release("1.2.3-rc1"));
  }

  @Test
  void everyJobPrintsNameAndRelease() throws IOException {
    String expected = "spark-attention " + Version.release(pomVersion());
    List<Object> jobs =
        List.of(
            new AttentionJob(),
            new AttentionMapJob(),
            new HierarchicalJob(),
            new CostReportJob(),
            new SyntheticTokensJob());
    for (Object job : jobs) {
      StringWriter out = new StringWriter();
      new CommandLine(job).printVersionHelp(new PrintWriter(out, true));
      assertEquals(expected, out.toString().strip(), job.getClass().getSimpleName());
    }
  }
}
