package io.sparkattention.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.LocalPReference;
import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.spark.InputException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.StringJoiner;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
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
 * LocalPReference}: local-p output, emitted weights for every kind, the refusals (weights file,
 * over-long sequences) with nothing written, and the PNG.
 */
class AttentionJobLocalPSparkTest {
  static final int D = 8;
  static final int[] LENGTHS = {1, 5, 37, 150};
  static final String[] IDS = {"one", "five", "thirty-seven", "one-fifty"};

  static SparkSession spark;
  @TempDir static Path tmp;
  static double[][][] seqs;
  static LocalPReference.Weights weights;
  static Path weightsFile;
  static String jsonInput;
  static String parquetInput;

  @BeforeAll
  static void setUp() throws IOException {
    spark = SparkTestSession.spark();
    Random rnd = new Random(31);
    seqs = new double[LENGTHS.length][][];
    for (int s = 0; s < LENGTHS.length; s++) {
      seqs[s] = LocalPReference.gaussian(rnd, LENGTHS[s], D, 1.0);
    }
    weights = LocalPReference.Weights.random(rnd, D, 4, 0.5, 2);
    weightsFile = Files.writeString(tmp.resolve("weights.json"), weights.toJson());
    jsonInput = writeJson(tmp.resolve("in.jsonl"));
    parquetInput = writeParquet(tmp.resolve("in.parquet"));
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
        run(
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
    Map<String, double[]> got = new HashMap<>();
    for (Row r :
        spark.read().format(parquet ? "parquet" : "json").load(out.toString()).collectAsList()) {
      String k = r.getAs("seq_id") + "/" + ((Number) r.getAs("pos")).longValue();
      assertTrue(got.put(k, vector(r, "out")) == null, "repeated row " + k);
    }
    double worst = 0;
    for (int s = 0; s < LENGTHS.length; s++) {
      double[][] want = LocalPReference.attention(seqs[s], weights, heads, "local-p", window);
      for (int p = 0; p < LENGTHS[s]; p++) {
        double[] row = got.get(IDS[s] + "/" + p);
        for (int c = 0; c < D; c++) {
          worst =
              Math.max(worst, Math.abs(row[c] - want[p][c]) / Math.max(1, Math.abs(want[p][c])));
        }
      }
    }
    assertTrue(worst <= 1e-9, "worst relative error " + worst);
  }

  static Stream<Arguments> badLocalP() {
    LocalPReference.Weights noPredictor = new LocalPReference.Weights();
    noPredictor.wq = weights.wq;
    LocalPReference.Weights shortWp = new LocalPReference.Weights();
    shortWp.wp = new double[4][3];
    shortWp.vp = new double[3];
    LocalPReference.Weights longVp = new LocalPReference.Weights();
    longVp.wp = new double[D][3];
    longVp.vp = new double[2];
    LocalPReference.Weights vpOnly = new LocalPReference.Weights();
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
            InputException.class, () -> run(jsonInput, out, options.toArray(new String[0])));
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
    run(parquet ? parquetInput : jsonInput, dir.resolve("out"), options.toArray(new String[0]));

    Dataset<Row> table = spark.read().format(parquet ? "parquet" : "json").load(maps.toString());
    Set<String> columns = new HashSet<>(Arrays.asList(table.columns()));
    assertEquals(Set.of("seq_id", "head", "pos", "weights"), columns);
    List<Row> rows = table.collectAsList();
    assertEquals(Arrays.stream(LENGTHS).sum() * heads, rows.size(), "one row per token and head");
    Map<String, double[][][]> expected = new HashMap<>();
    for (int s = 0; s < LENGTHS.length; s++) {
      expected.put(
          IDS[s],
          LocalPReference.weights(seqs[s], withWeights ? weights : null, heads, kind, window));
    }
    Set<String> seen = new HashSet<>();
    double worst = 0;
    for (Row r : rows) {
      String id = r.getAs("seq_id");
      int head = ((Number) r.getAs("head")).intValue();
      int pos = (int) ((Number) r.getAs("pos")).longValue();
      assertTrue(seen.add(id + "/" + head + "/" + pos), "repeated row");
      double[] got = vector(r, "weights");
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
                run(
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
                run(
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
                run(
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
                run(
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
    run(
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

  static long run(String input, Path out, String... options) {
    List<String> a = new ArrayList<>(List.of("--input", input, "--output", out.toString()));
    a.addAll(Arrays.asList(options));
    AttentionJob job = new AttentionJob();
    new CommandLine(job).parseArgs(a.toArray(new String[0]));
    return AttentionJob.run(spark, job.config());
  }

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

  static List<int[]> shuffledTokens() {
    List<int[]> tokens = new ArrayList<>();
    for (int s = 0; s < LENGTHS.length; s++) {
      for (int p = 0; p < LENGTHS[s]; p++) {
        tokens.add(new int[] {s, p});
      }
    }
    Collections.shuffle(tokens, new Random(5));
    return tokens;
  }

  static String writeJson(Path path) throws IOException {
    List<String> lines = new ArrayList<>();
    for (int[] t : shuffledTokens()) {
      StringJoiner x = new StringJoiner(",", "[", "]");
      for (double v : seqs[t[0]][t[1]]) {
        x.add(Double.toString(v));
      }
      lines.add("{\"seq_id\":\"" + IDS[t[0]] + "\",\"pos\":" + t[1] + ",\"x\":" + x + "}");
    }
    Files.write(path, lines, StandardCharsets.UTF_8);
    return path.toString();
  }

  static String writeParquet(Path path) {
    List<Row> rows = new ArrayList<>();
    for (int[] t : shuffledTokens()) {
      rows.add(RowFactory.create(IDS[t[0]], t[1], Vectors.dense(seqs[t[0]][t[1]])));
    }
    StructType schema =
        new StructType()
            .add("seq_id", DataTypes.StringType, false)
            .add("pos", DataTypes.IntegerType, false)
            .add("x", SQLDataTypes.VectorType(), false);
    spark.createDataFrame(rows, schema).repartition(2).write().parquet(path.toString());
    return path.toString();
  }

  static double[] vector(Row row, String column) {
    Object v = row.getAs(column);
    if (v instanceof org.apache.spark.ml.linalg.Vector) {
      return ((org.apache.spark.ml.linalg.Vector) v).toArray();
    }
    List<Object> list = row.getList(row.fieldIndex(column));
    double[] out = new double[list.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ((Number) list.get(i)).doubleValue();
    }
    return out;
  }
}
