package io.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.Launch;
import io.sparkattention.kernel.Mask;
import io.sparkattention.kernel.Precision;
import io.sparkattention.plan.Strategy;
import io.sparkattention.spark.InputException;
import io.sparkattention.spark.Selection;
import io.sparkattention.spark.io.ContextTable;
import io.sparkattention.spark.io.TableFormat;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The attention job's options, without Spark: parsing and {@code config()}, and {@link JobLauncher}
 * exit codes and messages for errors found before a SparkSession would be created.
 */
class AttentionJobOptionsTest {
  private static final String[] BASE = {"--input", "in.parquet", "--output", "out"};

  private static String[] args(String... extra) {
    String[] all = new String[BASE.length + extra.length];
    System.arraycopy(BASE, 0, all, 0, BASE.length);
    System.arraycopy(extra, 0, all, BASE.length, extra.length);
    return all;
  }

  private static AttentionJobConfig config(String... args) {
    AttentionJob job = new AttentionJob();
    new CommandLine(job).parseArgs(args);
    return job.config();
  }

  /** Only for arguments that fail before {@code call()} would create a SparkSession. */
  private static Launch launch(String... args) {
    return Launch.execute(new AttentionJob(), args);
  }

  @Test
  void precisionReachesTheSpec() {
    assertEquals(Precision.FP64, config(args("--attention", "causal")).spec().precision());
    assertEquals(
        Precision.FP32,
        config(args("--attention", "causal", "--precision", "fp32")).spec().precision());
    assertEquals(
        Precision.FP64,
        config(args("--attention", "local", "--window", "2", "--precision", "FP64"))
            .spec()
            .precision());
  }

  @Test
  void scoreOptionsReachTheSpec() {
    AttentionJobConfig c =
        config(
            args(
                "--attention",
                "causal",
                "--heads",
                "8",
                "--kv-heads",
                "2",
                "--rope",
                "--rope-theta",
                "500000",
                "--rope-style",
                "interleaved",
                "--alibi",
                "--softcap",
                "50",
                "--scale",
                "0.0625"));
    io.sparkattention.kernel.ScoreOptions s = c.spec().scores();
    assertEquals(2, s.kvHeads(8));
    assertEquals(io.sparkattention.kernel.Rope.Style.INTERLEAVED, s.rope().style());
    assertEquals(500000, s.rope().theta());
    assertTrue(s.alibi());
    assertEquals(50, s.softcap());
    assertEquals(0.0625, s.scale());
    assertTrue(config(args("--attention", "global")).spec().scores().isStandard());
    assertEquals(
        io.sparkattention.kernel.Rope.Style.HALF,
        config(args("--attention", "global", "--rope")).spec().scores().rope().style());
  }

  @Test
  void defaults() {
    AttentionJobConfig c = config(args("--attention", "global"));
    assertEquals("in.parquet", c.input());
    assertEquals("out", c.output());
    assertEquals(TableFormat.PARQUET, c.format());
    assertFalse(c.overwrite());
    assertNull(c.weightsPath());
    assertEquals(Mask.none(), c.spec().mask());
    assertEquals(1, c.spec().numHeads());
    assertEquals(Strategy.AUTO, c.spec().strategy());
    assertEquals(1024, c.spec().blockSize());
    assertEquals(16, c.spec().queryTileBlocks());
    assertEquals(32, c.spec().keyTileBlocks());
    assertEquals(0, c.spec().partitions());
    assertTrue(c.spec().weights().isNone());
  }

  @Test
  void everyOptionReachesTheConfig() {
    AttentionJobConfig c =
        config(
            "--input=data/in.jsonl",
            "--output",
            "res",
            "--overwrite",
            "--attention",
            "CAUSAL",
            "--window",
            "5",
            "--heads",
            "4",
            "--weights",
            "w.json",
            "--strategy",
            "Blocks",
            "--block-size",
            "64",
            "--query-tile-blocks",
            "3",
            "--key-tile-blocks",
            "7",
            "--partitions",
            "9",
            "--verbose");
    assertEquals(TableFormat.JSON, c.format(), "format from the .jsonl extension");
    assertTrue(c.overwrite());
    assertEquals("w.json", c.weightsPath());
    assertEquals(Mask.causalWindow(5), c.spec().mask());
    assertEquals(4, c.spec().numHeads());
    assertEquals(Strategy.BLOCKS, c.spec().strategy());
    assertEquals(64, c.spec().blockSize());
    assertEquals(3, c.spec().queryTileBlocks());
    assertEquals(7, c.spec().keyTileBlocks());
    assertEquals(9, c.spec().partitions());
  }

  @ParameterizedTest(name = "{0} + --format {1} -> {2}")
  @CsvSource({
    "in.parquet, , PARQUET",
    "in.json, , JSON",
    "in.ndjson/, , JSON",
    "tokens, , PARQUET",
    "in.parquet, json, JSON",
    "in.json, Parquet, PARQUET",
    "in, jsonl, JSON"
  })
  void formatFromOptionOrExtension(String input, String format, TableFormat expected) {
    List<String> a = new ArrayList<>(List.of("--input", input, "--output", "o"));
    a.addAll(List.of("--attention", "global"));
    if (format != null) {
      a.addAll(List.of("--format", format));
    }
    assertEquals(expected, config(a.toArray(new String[0])).format());
  }

  @Test
  void attentionKinds() {
    assertEquals(
        Mask.window(3), config(args("--attention", "local", "--window", "3")).spec().mask());
    assertEquals(Mask.causal(), config(args("--attention", " causal ")).spec().mask());
    assertEquals(
        Mask.window(0), config(args("--attention", "local", "--window", "0")).spec().mask());
    assertEquals(
        Mask.window(4).withGlobalTokens(2),
        config(args("--attention", "local", "--window", "4", "--global-tokens", "2"))
            .spec()
            .mask());
    assertEquals(
        Mask.causalWindow(1).withGlobalTokens(3),
        config(args("--attention", "hard", "--causal", "--window", "1", "--global-tokens", "3"))
            .spec()
            .mask());
    assertEquals(
        "first",
        config(args("--attention", "local", "--window", "4", "--global-col", "first"))
            .spec()
            .globalColumn());
  }

  @Test
  void hardAttentionMasksAndSampling() {
    AttentionJobConfig argmax = config(args("--attention", "hard"));
    assertEquals(Mask.none(), argmax.spec().mask());
    assertEquals(Selection.hard(), argmax.spec().selection());
    assertNull(argmax.context());
    assertEquals(
        Mask.window(3), config(args("--attention", "hard", "--window", "3")).spec().mask());
    assertEquals(Mask.causal(), config(args("--attention", "hard", "--causal")).spec().mask());
    assertEquals(
        Mask.causalWindow(2),
        config(args("--attention", "hard", "--causal", "--window", "2")).spec().mask());
    assertEquals(
        Selection.sampled(0), config(args("--attention", "hard", "--sample")).spec().selection());
    assertEquals(
        Selection.sampled(-5),
        config(args("--attention", "hard", "--sample", "--seed", "-5")).spec().selection());
    assertEquals(Selection.soft(), config(args("--attention", "causal")).spec().selection());
  }

  @Test
  void crossAttentionReadsTheContextInItsOwnFormat() {
    AttentionJobConfig c = config(args("--attention", "cross", "--context", "ctx.jsonl"));
    assertEquals(TableFormat.PARQUET, c.format());
    assertEquals(new ContextTable("ctx.jsonl", TableFormat.JSON), c.context());
    assertEquals(Mask.none(), c.spec().mask());
    assertEquals(Selection.soft(), c.spec().selection());
    AttentionJobConfig both =
        config(
            args("--attention", "cross", "--context", "ctx", "--format", "json", "--heads", "2"));
    assertEquals(TableFormat.JSON, both.format());
    assertEquals(new ContextTable("ctx", TableFormat.JSON), both.context());
    assertEquals(2, both.spec().numHeads());
  }

  @Test
  void localPAndAttentionMaps() {
    AttentionJobConfig c =
        config(
            args(
                "--attention",
                "Local-P",
                "--window",
                "7",
                "--heads",
                "2",
                "--emit-weights",
                "maps",
                "--emit-weights-max-length",
                "300"));
    assertTrue(c.spec().isLocalP());
    assertEquals(7, c.spec().localPWindow());
    assertEquals(Mask.none(), c.spec().mask(), "local-p's windows come from the centres");
    assertEquals("maps", c.maps().path());
    assertEquals(300, c.maps().maxLength());
    AttentionJobConfig plain = config(args("--attention", "local", "--window", "7"));
    assertFalse(plain.spec().isLocalP());
    assertEquals(0, plain.spec().localPWindow());
    assertNull(plain.maps(), "no maps unless --emit-weights");
    assertEquals(
        2048,
        config(args("--attention", "causal", "--emit-weights", "m")).maps().maxLength(),
        "default --emit-weights-max-length");
    assertEquals("local-p", AttentionKind.LOCAL_P.toString());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "--attention sideways | unknown --attention 'sideways' (valid: global, local, causal,"
            + " cross, hard, local-p)",
        "--attention local-p | --attention local-p needs --window D >= 1",
        "--attention local-p --window 0 | --attention local-p needs --window D >= 1 (keys within"
            + " D of each predicted centre), got 0",
        "--attention global --emit-weights w --emit-weights-max-length 0"
            + " | --emit-weights-max-length must be >= 1, got 0",
        "--attention hard --emit-weights w | --emit-weights applies to softmax self-attention",
        "--attention local-p --window 2 --causal | --causal applies to --attention hard",
        "--attention global --strategy fastest | --strategy: unknown strategy 'fastest'"
            + " (valid: single, blocks, window, heads, auto)",
        "--attention global --format csv | unknown format 'csv' (valid: parquet, json)",
        "--attention local | --attention local needs --window W",
        "--attention global --window 3 | --window applies to local and causal attention, not global",
        "--attention causal --window -1 | --window must be >= 0, got -1",
        "--attention global --block-size 0 | --block-size must be >= 1, got 0",
        "--attention global --heads 0 | --heads must be >= 1, got 0",
        "--attention global --partitions -2 | --partitions must be >= 0, got -2",
        "--attention global --query-tile-blocks 0 | --query-tile-blocks must be >= 1, got 0",
        "--attention global --sample | --sample needs --attention hard",
        "--attention cross --context c.json --sample | --sample needs --attention hard",
        "--attention hard --seed 3 | --seed applies to --sample (sampled hard attention)",
        "--attention causal --causal | --causal applies to --attention hard (softmax causal"
            + " attention is --attention causal)",
        "--attention global --context c.json | --context applies to --attention cross",
        "--attention cross | --attention cross needs --context PATH (the keys/values table)",
        "--attention global --pyramid-levels 11 | --pyramid-levels must be between 0 and 10, got"
            + " 11",
        "--attention cross --context c.json --pyramid-levels 1 | --pyramid-levels applies to"
            + " self-attention, not cross attention (the context would stay at the input's width)",
        "--attention cross --context c.json --window 2 | --window does not apply to cross"
            + " attention (input and context positions are unrelated)",
        "--attention cross --context c.json --strategy window | --strategy window does not apply"
            + " to cross attention",
        "--attention hard --causal --window -1 | --window must be >= 0, got -1",
        "--attention causal --heads 4 --kv-heads 3 | --kv-heads must divide heads (4), got 3",
        "--attention causal --kv-heads 0 | --kv-heads must be >= 1, got 0",
        "--attention causal --scale -1 | --scale must be finite and > 0, got -1.0",
        "--attention causal --softcap 0 | --softcap must be > 0, got 0.0",
        "--attention causal --rope-theta 5 | --rope-theta applies to --rope",
        "--attention causal --rope-style half | --rope-style applies to --rope",
        "--attention causal --rope --rope-style neox | --rope-style: unknown RoPE style 'neox' (valid: half, interleaved)",
        "--attention causal --rope --rope-theta 0.5 | --rope-theta must be finite and > 1, got 0.5",
        "--attention cross --context c.json --alibi | --alibi does not apply to cross attention (input and context positions are unrelated)",
        "--attention local-p --window 3 --rope | --rope does not apply to local-p attention (its windows follow predicted centres)",
        "--attention cross --context c.json --segment-col doc | --segment-col does not apply to cross attention (input and context positions are unrelated)",
        "--attention global --pyramid-levels 1 --segment-col doc | --segment-col does not apply with a pyramid (its steps mix tokens)",
        "--attention local-p --window 3 --segment-col doc | --segment-col does not apply to local-p attention",
        "--attention local --window 2 --global-tokens -1 | --global-tokens must be >= 0, got -1",
        "--attention local-p --window 3 --global-tokens 2 | --global-tokens does not apply to local-p attention (its windows follow the centres)",
        "--attention cross --context c.json --global-tokens 2 | --global-tokens does not apply to cross attention (input and context positions are unrelated)",
        "--attention local --window 2 --pyramid-levels 1 --global-tokens 2 | --global-tokens does not apply with a pyramid (its steps mix tokens)",
        "--attention local --window 2 --global-tokens 2 --global-col first | --global-col does not combine with globalTokens, a count of global tokens (mark the first N rows true in the column instead)",
        "--attention local --window 2 --segment-col doc --global-col doc | --global-col names the segment column: a column is either the documents or the global tokens",
        "--attention global --precision bf16 | --precision: unknown precision 'bf16' (allowed: fp64, fp32)",
        "--attention hard --precision fp32 | --precision fp32 applies to softmax attention; hard attention (an argmax) computes in fp64"
      })
  void badValuesFailInConfig(String extra, String message) {
    String[] a = args(extra.split(" "));
    InputException e = assertThrows(InputException.class, () -> config(a));
    assertTrue(e.getMessage().contains(message), e.getMessage());
    // Through the launcher: exit 2 and exactly one line, "error: <message>", before any Spark.
    Launch l = launch(a);
    assertEquals(JobLauncher.USAGE_ERROR, l.code());
    assertEquals("error: " + e.getMessage(), l.err().strip());
    assertEquals("", l.out());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "--input in --output o --attention global --colour red | Unknown options: '--colour', 'red'",
        "--output o --attention global | Missing required option: '--input=PATH'",
        "--input in --attention global | Missing required option: '--output=PATH'",
        "--input in --output o | Missing required option: '--attention=KIND'",
        "--input in --output o --attention global --heads two | Invalid value for option '--heads'",
        "--input in --output o --attention global --window 1.5 | Invalid value for option '--window'",
        "--input in --output o --attention global --heads | Missing required parameter for option"
            + " '--heads'"
      })
  void badOptionsFailInParsing(String argLine, String message) {
    String[] a = argLine.split(" ");
    CommandLine.ParameterException e =
        assertThrows(
            CommandLine.ParameterException.class,
            () -> new CommandLine(new AttentionJob()).parseArgs(a));
    assertTrue(e.getMessage().contains(message), e.getMessage());
    Launch l = launch(a);
    assertEquals(JobLauncher.USAGE_ERROR, l.code());
    String[] lines = l.err().strip().split("\\R");
    assertEquals(2, lines.length, l.err());
    assertEquals("error: " + e.getMessage(), lines[0]);
    assertEquals("Try 'attention --help' for the options.", lines[1]);
  }

  @Test
  void helpListsEveryOption() {
    CommandLine cli = new CommandLine(new AttentionJob());
    String usage = cli.getUsageMessage();
    List<String> expected =
        List.of(
            "--input",
            "--output",
            "--format",
            "--overwrite",
            "--attention",
            "--window",
            "--window-clip",
            "--context",
            "--causal",
            "--sample",
            "--seed",
            "--vector-type",
            "--heads",
            "--weights",
            "--strategy",
            "--block-size",
            "--query-tile-blocks",
            "--key-tile-blocks",
            "--partitions",
            "--scale",
            "--softcap",
            "--alibi",
            "--rope",
            "--rope-theta",
            "--rope-style",
            "--kv-heads",
            "--segment-col",
            "--global-tokens",
            "--global-col",
            "--engine",
            "--precision",
            "--pyramid-levels",
            "--emit-weights",
            "--emit-weights-max-length",
            "--verbose",
            "--help",
            "--version");
    for (String o : expected) {
      assertTrue(usage.contains(o), o + " missing from\n" + usage);
    }
    for (OptionSpec o : cli.getCommandSpec().options()) {
      assertTrue(expected.contains(o.longestName()), "untested option " + o.longestName());
      assertTrue(usage.contains(o.longestName()), o.longestName() + " missing from\n" + usage);
    }
    assertTrue(usage.contains("default: 1024"), "defaults are shown:\n" + usage);
    assertTrue(usage.contains("single | blocks | window | heads | auto"), usage);

    Launch l = launch("--help");
    assertEquals(0, l.code());
    assertEquals(usage.strip(), l.out().strip());
    assertEquals("", l.err());
  }

  /** Fails as a task failure reaches the driver: a message carrying the executor's stack trace. */
  @CommandLine.Command(name = "failing")
  static final class Failing implements java.util.concurrent.Callable<Integer> {
    @CommandLine.Option(names = "--verbose")
    boolean verbose;

    @CommandLine.Option(names = "--bad-input")
    boolean badInput;

    @Override
    public Integer call() {
      IllegalArgumentException cause =
          badInput
              ? new InputException("column pos must hold 0 … n-1")
              : new IllegalArgumentException("row 0: max is Infinity");
      throw new IllegalStateException(
          "Job aborted due to stage failure: Lost task 1.0: "
              + cause
              + "\n\tat io.sparkattention.Kernel.run(Kernel.java:1)"
              + "\n\nDriver stacktrace:\n\tat org.apache.spark.Dag.abort(Dag.scala:2)",
          cause);
    }
  }

  private static Launch launchFailing(String... args) {
    Failing job = new Failing();
    return Launch.execute(job, () -> job.verbose, args);
  }

  @Test
  void runFailureIsOneLinePlusHintWithoutVerbose() {
    Launch l = launchFailing();
    assertEquals(JobLauncher.RUN_ERROR, l.code());
    String[] lines = l.err().strip().split("\\R");
    assertEquals(2, lines.length, "no stack trace without --verbose:\n" + l.err());
    assertEquals("error: job failed: IllegalArgumentException: row 0: max is Infinity", lines[0]);
    assertEquals("(run with --verbose for the stack trace)", lines[1]);

    Launch verbose = launchFailing("--verbose");
    assertEquals(JobLauncher.RUN_ERROR, verbose.code());
    assertTrue(verbose.err().contains("Driver stacktrace:"), verbose.err());
    assertTrue(verbose.err().contains("\tat "), verbose.err());
  }

  @Test
  void wrappedInputExceptionIsAUsageError() {
    Launch l = launchFailing("--bad-input");
    assertEquals(JobLauncher.USAGE_ERROR, l.code());
    assertEquals("error: column pos must hold 0 … n-1", l.err().strip());
  }

  @Test
  void versionOption() {
    Launch l = launch("--version");
    assertEquals(0, l.code());
    // The pom's version without -SNAPSHOT (VersionTest checks where it comes from).
    assertEquals(new Version().getVersion()[0], l.out().strip());
  }
}
