package io.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.Launch;
import io.sparkattention.spark.io.TableFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** The attention-map job's options without Spark: config, errors before any work, --help. */
class AttentionMapJobOptionsTest {

  private static AttentionMapConfig config(String... args) {
    AttentionMapJob job = new AttentionMapJob();
    new CommandLine(job).parseArgs(args);
    return job.config();
  }

  private static Launch launch(String... args) {
    return Launch.execute(new AttentionMapJob(), args);
  }

  @Test
  void defaultsAndEveryOption() {
    AttentionMapConfig d = config("--input", "maps", "--out", "m.png");
    assertEquals("maps", d.input());
    assertEquals("m.png", d.out());
    assertNull(d.format(), "the format is told from the files");
    assertNull(d.seqId(), "the first seq_id");
    assertEquals(0, d.head());
    AttentionMapConfig c =
        config(
            "--input",
            "maps",
            "--out",
            "x/M.PNG",
            "--seq-id",
            "7",
            "--head",
            "3",
            "--format",
            "json",
            "--overwrite");
    assertEquals("7", c.seqId());
    assertEquals(3, c.head());
    assertEquals(TableFormat.JSON, c.format());
    assertTrue(c.overwrite());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "--input m --out m.jpg | error: --out must name a .png file, got m.jpg",
        "--input m --out m.png --head -1 | error: --head must be >= 0, got -1",
        "--input m --out m.png --format csv | error: unknown format 'csv' (valid: parquet, json)",
        "--out m.png | error: Missing required option: '--input=WEIGHTS'"
      })
  void badOptionsExitTwoWithOneLine(String argLine, String message) {
    Launch r = launch(argLine.split(" "));
    assertEquals(JobLauncher.USAGE_ERROR, r.code());
    assertEquals(message, r.err().strip().split("\\R")[0]);
    assertEquals("", r.out());
  }

  @Test
  void helpListsEveryOption() {
    CommandLine cli = new CommandLine(new AttentionMapJob());
    String usage = cli.getUsageMessage();
    List<String> expected =
        List.of(
            "--input",
            "--output",
            "--seq-id",
            "--head",
            "--format",
            "--overwrite",
            "--verbose",
            "--help",
            "--version");
    for (OptionSpec o : cli.getCommandSpec().options()) {
      assertTrue(expected.contains(o.longestName()), "untested option " + o.longestName());
      assertTrue(usage.contains(o.longestName()), o.longestName() + " missing from\n" + usage);
    }
    Launch r = launch("--help");
    assertEquals(0, r.code());
    assertEquals(usage.strip(), r.out().strip());
  }
}
