package io.sparkattention.spark;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.ejml.data.DMatrixRMaj;

/** Seeded random token tables for Spark tests, and the per-sequence matrices behind them. */
final class TokenFixtures {
  static final StructType SCHEMA =
      new StructType()
          .add("seq_id", DataTypes.StringType, false)
          .add("pos", DataTypes.IntegerType, false)
          .add("x", SQLDataTypes.VectorType(), false);

  final List<String> seqIds = new ArrayList<>();
  final List<DMatrixRMaj> sequences = new ArrayList<>();
  final List<Row> rows = new ArrayList<>();

  /** Sequences of the given lengths, width d, rows in shuffled order. */
  static TokenFixtures random(long seed, int d, int... lengths) {
    Random rnd = new Random(seed);
    TokenFixtures f = new TokenFixtures();
    for (int s = 0; s < lengths.length; s++) {
      String id = "seq-" + s;
      DMatrixRMaj X = new DMatrixRMaj(lengths[s], d);
      for (int i = 0; i < X.data.length; i++) {
        X.data[i] = rnd.nextGaussian();
      }
      f.seqIds.add(id);
      f.sequences.add(X);
      for (int p = 0; p < lengths[s]; p++) {
        double[] x = new double[d];
        System.arraycopy(X.data, p * d, x, 0, d);
        f.rows.add(RowFactory.create(id, p, Vectors.dense(x)));
      }
    }
    Collections.shuffle(f.rows, rnd);
    return f;
  }

  Dataset<Row> table(SparkSession spark, int partitions) {
    return spark.createDataFrame(rows, SCHEMA).repartition(partitions);
  }

  DMatrixRMaj sequence(String id) {
    return sequences.get(seqIds.indexOf(id));
  }
}
