package io.sparkattention.spark.io;

import io.sparkattention.spark.InputException;
import java.util.SplittableRandom;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Seeded synthetic token tables for benchmarks and cost reports: {@code sequences} sequences of
 * {@code length} tokens, each {@code x} standard normal. Token (s, p)'s vector depends only on
 * (seed, s, p), so a table is the same however Spark partitions its generation.
 */
public final class SyntheticTokens {
  private SyntheticTokens() {}

  /** The table schema: seq_id string, pos int, x vector. */
  public static StructType schema() {
    return new StructType()
        .add(TokenColumns.SEQ_ID, DataTypes.StringType, false)
        .add(TokenColumns.POS, DataTypes.IntegerType, false)
        .add("x", SQLDataTypes.VectorType(), false);
  }

  /**
   * @param sequences number of sequences, ≥ 1
   * @param length tokens per sequence, ≥ 1
   * @param width vector width, ≥ 1
   * @param seed the seed
   */
  public static Dataset<Row> generate(
      SparkSession spark, int sequences, int length, int width, long seed) {
    if (sequences < 1 || length < 1 || width < 1) {
      throw new InputException(
          "sequences, length and width must be >= 1, got "
              + sequences
              + ", "
              + length
              + ", "
              + width);
    }
    long total = (long) sequences * length;
    int slices = (int) Math.max(1, Math.min(total / 8192, 64));
    return spark.createDataFrame(
        spark
            .range(0, total, 1, slices)
            .javaRDD()
            .map(
                id -> {
                  int s = (int) (id / length);
                  int p = (int) (id % length);
                  SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + id);
                  double[] x = new double[width];
                  for (int i = 0; i < width; i++) {
                    x[i] = gaussian(rnd);
                  }
                  return RowFactory.create("s" + s, p, Vectors.dense(x));
                }),
        schema());
  }

  /** Box–Muller (one of the pair): SplittableRandom has no nextGaussian on Java 17. */
  private static double gaussian(SplittableRandom rnd) {
    double u = 1.0 - rnd.nextDouble();
    double v = rnd.nextDouble();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}
