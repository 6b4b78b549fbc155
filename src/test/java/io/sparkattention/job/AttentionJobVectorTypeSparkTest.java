package io.sparkattention.job;

import static io.sparkattention.job.JobRuns.withIo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sparkattention.fixtures.Launch;
import io.sparkattention.fixtures.ResultTables;
import io.sparkattention.fixtures.SparkTestSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --vector-type vector|array}: with {@code array} the Parquet result's {@code out} is a
 * plain list of doubles (what pandas, pyarrow, DuckDB and Polars read as a list of floats, no Spark
 * ML vector struct in the file), holding the same numbers, bit for bit, as the default vector
 * output.
 */
class AttentionJobVectorTypeSparkTest {
  static SparkSession spark;
  @TempDir static Path tmp;
  static AttentionJobSample sample;

  @BeforeAll
  static void setUp() throws IOException {
    spark = SparkTestSession.spark();
    sample = new AttentionJobSample(tmp);
  }

  @Test
  void arrayOutputIsAPlainParquetListWithTheSameBits() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "array");
    String input = sample.writeParquet(dir.resolve("in.parquet"), false, 5, 2);
    String[] options = {"--attention", "causal", "--heads", "2"};
    Path vectors = dir.resolve("vectors");
    Path arrays = dir.resolve("arrays");
    JobRuns.attention(input, vectors, options);
    JobRuns.attention(input, arrays, concat(options, "--vector-type", "array"));

    Dataset<Row> v = spark.read().parquet(vectors.toString());
    Dataset<Row> a = spark.read().parquet(arrays.toString());
    assertEquals(SQLDataTypes.VectorType(), v.schema().apply("out").dataType());
    assertEquals(
        DataTypes.DoubleType, ((ArrayType) a.schema().apply("out").dataType()).elementType());

    // The file itself: a standard 3-level LIST of doubles, no vector struct (type, size, indices).
    MessageType schema = parquetSchema(arrays);
    Type out = schema.getType("out");
    assertEquals(
        LogicalTypeAnnotation.listType(), out.getLogicalTypeAnnotation(), schema::toString);
    Type element = out.asGroupType().getType(0).asGroupType().getType(0);
    assertTrue(element.isPrimitive(), schema::toString);
    assertEquals(
        PrimitiveType.PrimitiveTypeName.DOUBLE, element.asPrimitiveType().getPrimitiveTypeName());
    assertTrue(
        parquetSchema(vectors).getType("out").asGroupType().containsField("type"),
        "the default output keeps Spark ML's vector struct");

    // The same numbers, bit for bit.
    Map<String, double[]> vs = ResultTables.collect(v);
    Map<String, double[]> as = ResultTables.collect(a);
    assertEquals(vs.keySet(), as.keySet());
    for (Map.Entry<String, double[]> e : vs.entrySet()) {
      double[] x = e.getValue();
      double[] y = as.get(e.getKey());
      assertEquals(x.length, y.length, e.getKey());
      for (int i = 0; i < x.length; i++) {
        assertEquals(
            Double.doubleToRawLongBits(x[i]), Double.doubleToRawLongBits(y[i]), e.getKey());
      }
    }
    ResultTables.assertSameRows(v, a);
  }

  @Test
  void jsonOutputIsAnArrayAndRefusesVectors() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "json");
    String input = sample.writeJson(dir.resolve("in.json"), false, 3);
    Path out = dir.resolve("out");
    JobRuns.attention(input, out, "--attention", "global", "--vector-type", "array");
    assertTrue(spark.read().json(out.toString()).count() > 0);

    Launch l =
        JobRuns.launchAttention(
            withIo(input, dir.resolve("out2"), "--attention", "global", "--vector-type", "vector"));
    assertEquals(JobLauncher.USAGE_ERROR, l.code());
    assertTrue(l.err().contains("--vector-type"), l.err());
    assertTrue(l.err().contains("Parquet"), l.err());
  }

  @Test
  void unknownVectorTypeNamesTheOption() throws IOException {
    Path dir = Files.createTempDirectory(tmp, "bad");
    String input = sample.writeJson(dir.resolve("in.json"), false, 3);
    Launch l =
        JobRuns.launchAttention(
            withIo(input, dir.resolve("out"), "--attention", "global", "--vector-type", "list"));
    assertEquals(JobLauncher.USAGE_ERROR, l.code());
    assertTrue(l.err().contains("--vector-type must be vector or array, not 'list'"), l.err());
  }

  private static MessageType parquetSchema(Path dir) throws IOException {
    Path file;
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> parts = files.filter(p -> p.toString().endsWith(".parquet")).toList();
      assertFalse(parts.isEmpty(), "no Parquet files in " + dir);
      file = parts.get(0);
    }
    try (ParquetFileReader r =
        ParquetFileReader.open(
            HadoopInputFile.fromPath(
                new org.apache.hadoop.fs.Path(file.toUri()), new Configuration()))) {
      return r.getFooter().getFileMetaData().getSchema();
    }
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
