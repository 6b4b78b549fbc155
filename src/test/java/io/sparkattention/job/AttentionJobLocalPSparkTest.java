package io.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.Allowed;
import io.sparkattention.fixtures.LocalPReference;
import io.sparkattention.fixtures.ResultTables;
import io.sparkattention.fixtures.SoftmaxReference;
import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.fixtures.TokenFiles;
import io.sparkattention.fixtures.Weights;
import io.sparkattention.spark.InputException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/**
 * The attention job's local-p and attention maps end to end ({@link AttentionJob#run}, {@link
 * AttentionMapJob#run}) on files in a temporary directory, against the plain {@link
 * LocalPReference} and {@link SoftmaxReference}: local-p output, emitted weights for every kind,
 * the refusals (weights file, over-long sequences) with nothing written, and the PNG.
 */
class AttentionJobLocalPSparkTest {
  static final int D = 8;
  static final int[] LENGTHS = {1, 5, 37, 150};
  static final String[] IDS = {"one", "five", "thirty-seven", "one-fifty"};

  static SparkSession spark;
  @TempDir static Path tmp;
  static TokenFiles tokens;
  static Weights weights;
  static Path weightsFile;
  static String jsonInput;
  static String parquetInput;

  @BeforeAll
  static void setUp() throws IOException {
    spark = SparkTestSession.spark();
    Random rnd = new Random(31);
    tokens = TokenFiles.gaussian(rnd, D, LENGTHS, (Object[]) IDS);
    weights = Weights.random(rnd, D, 4, 0.5, 2);
    weightsFile = Files.writeString(tmp.resolve("weights.json"), weights.toJson());
    jsonInput = tokens.writeJson(tmp.resolve("in.jsonl"), 5);
    parquetInput = tokens.writeParquet(spark, tmp.resolve("in.parquet"), 5, 2);
  }

  // ------------------------------------------------------------------ local-p

  static Stream<Arguments> localPRuns() {
    return Stream.of(
        Arguments.of(false, "blocks", 5, 2),
        Arguments.of(true, "single", 12, 1),
        Arguments.of(true, "auto", 2, 4));
  }

  @ParameterizedTest(name = "parquet={0} {1} D={2} heads={3}")
  @MethodSource("localPRuns")
  void localPEqualsThePlainReference(boolean parquet, String strategy, int window, int heads)
      throws IOException {
    Path out = Files.createTempDirectory(tmp, "localp").resolve("out");
    long written =
        JobRuns.attention(
            parquet ? parquetInput : jsonInput,
            out,
            "--attention",
            "local-p",
            "--window",
            String.valueOf(window),
            "--heads",
            String.valueOf(heads),
            "--weights",
            weightsFile.toString(),
            "--strategy",
            strategy,
            "--block-size",
            "16",
            "--query-tile-blocks",
            "2",
            "--key-tile-blocks",
            "2");
    assertEquals(Arrays.stream(LENGTHS).sum(), written);
    double[][][] want = new double[LENGTHS.length][][];
    for (int s = 0; s < LENGTHS.length; s++) {
      want[s] = LocalPReference.attention(tokens.x[s], weights, heads, window);
    }
    ResultTables.assertMatches(
        spark.read().format(parquet ? "parquet" : "json").load(out.toString()), IDS, want, 1e-9);
  }

  static Stream<Arguments> badLocalP() {
    Weights noPredictor = new Weights();
    noPredictor.wq = weights.wq;
    Weights shortWp = new Weights();
    shortWp.wp = new double[4][3];
    shortWp.vp = new double[3];
    Weights longVp = new Weights();
    longVp.wp = new double[D][3];
    longVp.vp = new double[2];
    Weights vpOnly = new Weights();
    vpOnly.vp = new double[3];
    String needs = "--attention local-p needs \"wp\" and \"vp\" in the --weights file";
    return Stream.of(
        Arguments.of("no weights file", null, "", needs),
        Arguments.of("weights without wp and vp", noPredictor.toJson(), "", needs + ": p_t ="),
        Arguments.of(
            "wp of the wrong height",
            shortWp.toJson(),
            "",
            "wp is 4×3 but the projected query h_t is 8 wide (need 8 rows)"),
        Arguments.of(
            "vp of the wrong length",
            longVp.toJson(),
            "",
            "vp has 2 entries but wp is 8×3 (need 3)"),
        Arguments.of("vp without wp", vpOnly.toJson(), "", "vp is given without wp"),
        Arguments.of(
            "vp a matrix",
            "{\"wp\": [[1],[1],[1],[1],[1],[1],[1],[1]], \"vp\": [[1]]}",
            "",
            "vp[0] is not a number"),
        Arguments.of(
            "window strategy",
            weights.toJson(),
            "--strategy window",
            "local-p runs with single, blocks or heads"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badLocalP")
  void badLocalPIsRefusedAndNothingWritten(
      String name, String weightsJson, String extra, String expected) throws IOException {
    Path dir = Files.createTempDirectory(tmp, "bad");
    List<String> options =
        new ArrayList<>(List.of("--attention", "local-p", "--window", "3", "--heads", "2"));
    if (weightsJson != null) {
      options.addAll(
          List.of("--weights", Files.writeString(dir.resolve("w.json"), weightsJson).toString()));
    }
    if (!extra.isEmpty()) {
      options.addAll(Arrays.asList(extra.split(" ")));
    }
    options.addAll(List.of("--emit-weights", dir.resolve("maps").toString()));
    Path out = dir.resolve("out");
    InputException e =
        assertThrows(
            InputException.class,
            () -> JobRuns.attention(jsonInput, out, options.toArray(new String[0])));
    assertTrue(e.getMessage().contains(expected), "'" + expected + "' not in: " + e.getMessage());
    assertNothingWritten(dir);
  }

  // ------------------------------------------------------------------ attention maps

  static Stream<Arguments> maps() {
    return Stream.of(
        Arguments.of("global", null, 2, true, true),
        Arguments.of("causal", 5, 1, false, false),
        Arguments.of("local", 3, 4, false, true),
        Arguments.of("local-p", 4, 2, true, false));
  }

  @ParameterizedTest(name = "{0} window={1} heads={2} weights={3} parquet={4}")
  @MethodSource("maps")
  void emittedWeightsEqualThePlainSoftmax(
      String kind, Integer window, int heads, boolean withWeights, boolean parquet)
      throws IOException {
    Path dir = Files.createTempDirectory(tmp, "maps");
    Path maps = dir.resolve("maps");
    List<String> options =
        new ArrayList<>(
            List.of(
                "--attention",
                kind,
                "--heads",
                String.valueOf(heads),
                "--emit-weights",
                maps.toString(),
                "--block-size",
                "16"));
    if (window != null) {
      options.addAll(List.of("--window", String.valueOf(window)));
    }
    if (withWeights) {
      options.addAll(List.of("--weights", weightsFile.toString()));
    }
    JobRuns.attention(
        parquet ? parquetInput : jsonInput, dir.resolve("out"), options.toArray(new String[0]));

    Dataset<Row> table = spark.read().format(parquet ? "parquet" : "json").load(maps.toString());
    Set<String> columns = new HashSet<>(Arrays.asList(table.columns()));
    assertEquals(Set.of("seq_id", "head", "pos", "weights"), columns);
    List<Row> rows = table.collectAsList();
    assertEquals(Arrays.stream(LENGTHS).sum() * heads, rows.size(), "one row per token and head");
    Map<String, double[][][]> expected = new HashMap<>();
    for (int s = 0; s < LENGTHS.length; s++) {
      expected.put(
          IDS[s],
          kind.equals("local-p")
              ? LocalPReference.headWeights(tokens.x[s], weights, heads, window)
              : SoftmaxReference.headWeights(
                  tokens.x[s], withWeights ? weights : null, heads, Allowed.of(kind, window)));
    }
    Set<String> seen = new HashSet<>();
    double worst = 0;
    for (Row r : rows) {
      String id = r.getAs("seq_id");
      int head = ((Number) r.getAs("head")).intValue();
      int pos = (int) ((Number) r.getAs("pos")).longValue();
      assertTrue(seen.add(id + "/" + head + "/" + pos), "repeated row");
      double[] got = ResultTables.vector(r, "weights");
      double[] want = expected.get(id)[head][pos];
      assertEquals(want.length, got.length, "one weight per key");
      double sum = 0;
      for (int k = 0; k < want.length; k++) {
        worst = Math.max(worst, Math.abs(got[k] - want[k]));
        if (want[k] == 0) {
          assertEquals(0.0, got[k], 0.0, "masked key " + k + " of " + id + "/" + pos);
        }
        sum += got[k];
      }
      if (!kind.equals("local-p")) {
        assertEquals(1.0, sum, 1e-12, "softmax row " + id + "/" + head + "/" + pos);
      } else {
        assertTrue(sum > 0 && sum <= 1 + 1e-12, "local-p row sums to " + sum);
      }
    }
    assertTrue(worst <= 1e-9, String.format(Locale.ROOT, "worst error %.3g", worst));
  }

  @Test
  void overLongSequenceIsRefusedBeforeAnythingRuns() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "long");
    InputException e =
        assertThrows(
            InputException.class,
            () ->
                JobRuns.attention(
                    jsonInput,
                    dir.resolve("out"),
                    "--attention",
                    "global",
                    "--emit-weights",
                    dir.resolve("maps").toString(),
                    "--emit-weights-max-length",
                    "149"));
    assertEquals(
        "--emit-weights: seq_id=one-fifty has 150 tokens, more than --emit-weights-max-length"
            + " 149; a map holds n² weights per head: raise the limit or leave out long sequences",
        e.getMessage());
    assertNothingWritten(dir);

    e =
        assertThrows(
            InputException.class,
            () ->
                JobRuns.attention(
                    jsonInput,
                    dir.resolve("out"),
                    "--attention",
                    "global",
                    "--emit-weights",
                    dir.resolve("maps").toString(),
                    "--emit-weights-max-length",
                    "4"));
    assertTrue(e.getMessage().contains("(2 other sequence(s) too)"), e.getMessage());
    assertNothingWritten(dir);

    e =
        assertThrows(
            InputException.class,
            () ->
                JobRuns.attention(
                    jsonInput,
                    dir.resolve("out"),
                    "--attention",
                    "global",
                    "--emit-weights",
                    dir.resolve("out").toString()));
    assertTrue(
        e.getMessage().contains("--emit-weights must differ from the output"), e.getMessage());
    Files.createDirectories(dir.resolve("maps"));
    e =
        assertThrows(
            InputException.class,
            () ->
                JobRuns.attention(
                    jsonInput,
                    dir.resolve("out"),
                    "--attention",
                    "global",
                    "--emit-weights",
                    dir.resolve("maps").toString()));
    assertTrue(e.getMessage().contains("output path already exists: "), e.getMessage());
    assertFalse(Files.exists(dir.resolve("out")), "nothing written");
  }

  // ------------------------------------------------------------------ the map job

  @Test
  void mapJobDrawsAReadablePng() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "png");
    Path maps = dir.resolve("maps");
    JobRuns.attention(
        jsonInput,
        dir.resolve("out"),
        "--attention",
        "local-p",
        "--window",
        "6",
        "--heads",
        "2",
        "--weights",
        weightsFile.toString(),
        "--emit-weights",
        maps.toString());

    Path png = dir.resolve("charts/map.png");
    assertEquals(png, drawMap(maps, png, "--seq-id", "one-fifty", "--head", "1"));
    BufferedImage image = ImageIO.read(png.toFile());
    assertEquals(900, image.getWidth());
    assertEquals(800, image.getHeight());
    Set<Integer> colours = new HashSet<>();
    for (int y = 0; y < image.getHeight(); y += 7) {
      for (int x = 0; x < image.getWidth(); x += 7) {
        colours.add(image.getRGB(x, y));
      }
    }
    assertTrue(colours.size() > 20, "a heat map, not a blank image: " + colours.size());

    // without --seq-id: the first seq_id as text ("five")
    Path first = dir.resolve("first.png");
    drawMap(maps, first);
    assertTrue(ImageIO.read(first.toFile()).getWidth() > 0);

    assertMapError(
        maps, dir.resolve("x.png"), "no seq_id 'nope' in weights table", "--seq-id", "nope");
    assertMapError(
        maps,
        dir.resolve("y.png"),
        "seq_id five has no head 2 (heads 0..1)",
        "--seq-id",
        "five",
        "--head",
        "2");
    assertMapError(maps, first, "--out already exists: ");
    assertMapError(
        Path.of(parquetInput), dir.resolve("z.png"), "has no column 'head'", "--seq-id", "five");
    InputException e =
        assertThrows(InputException.class, () -> mapConfig(maps, dir.resolve("map.jpg")));
    assertTrue(e.getMessage().contains("--out must name a .png file"), e.getMessage());
    assertFalse(Files.exists(dir.resolve("x.png")) || Files.exists(dir.resolve("z.png")));
  }

  static AttentionMapConfig mapConfig(Path maps, Path png, String... extra) {
    List<String> a = new ArrayList<>(List.of("--input", maps.toString(), "--out", png.toString()));
    a.addAll(Arrays.asList(extra));
    AttentionMapJob job = new AttentionMapJob();
    new CommandLine(job).parseArgs(a.toArray(new String[0]));
    return job.config();
  }

  static Path drawMap(Path maps, Path png, String... extra) {
    return AttentionMapJob.run(spark, mapConfig(maps, png, extra));
  }

  static void assertMapError(Path maps, Path png, String expected, String... extra) {
    InputException e = assertThrows(InputException.class, () -> drawMap(maps, png, extra));
    assertTrue(e.getMessage().contains(expected), "'" + expected + "' not in: " + e.getMessage());
  }

  // ------------------------------------------------------------------ helpers

  static void assertNothingWritten(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      List<String> names =
          files
              .map(p -> p.getFileName().toString())
              .filter(n -> !n.equals("w.json"))
              .collect(Collectors.toList());
      assertTrue(names.isEmpty(), "written: " + names);
    }
  }
}
