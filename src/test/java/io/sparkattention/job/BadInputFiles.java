package io.sparkattention.job;

import static io.sparkattention.fixtures.Json.json;
import static io.sparkattention.fixtures.Json.line;
import static io.sparkattention.fixtures.Matrices.smallVector;

import io.sparkattention.fixtures.InputFile;
import io.sparkattention.fixtures.SparkTestSession;
import io.sparkattention.fixtures.TokenFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;

/**
 * The inputs of {@link AttentionJobBadInputSparkTest}'s table: a small good table of width 8 (seq a
 * at pos 0–3, seq b at pos 0–2) as JSON lines or Parquet, with one line replaced or one entry set,
 * or beside a weights file.
 */
final class BadInputFiles {
  static final int D = 8;

  private BadInputFiles() {}

  /** Valid JSON lines: seq a at pos 0–3, seq b at pos 0–2 (indices 0–3 and 4–6). */
  static List<String> goodLines() {
    List<String> lines = new ArrayList<>();
    for (int p = 0; p < 4; p++) {
      lines.add(line("\"a\"", String.valueOf(p), json(smallVector(p, D))));
    }
    for (int p = 0; p < 3; p++) {
      lines.add(line("\"b\"", String.valueOf(p), json(smallVector(10 + p, D))));
    }
    return lines;
  }

  /** The good lines with line {@code index} replaced, as in.jsonl. */
  static InputFile jsonWith(int index, String replacement) {
    List<String> lines = goodLines();
    lines.set(index, replacement);
    return InputFile.lines("in.jsonl", lines);
  }

  /** These lines as in.json. */
  static InputFile jsonLines(List<String> lines) {
    return InputFile.lines("in.json", lines);
  }

  /** The good table as Parquet, with x[c] of (seq a or b, pos p) set to {@code value}. */
  static InputFile parquetWith(String seq, int pos, int c, double value) {
    return dir -> {
      List<Row> rows = new ArrayList<>();
      for (int p = 0; p < 4; p++) {
        rows.add(RowFactory.create("a", p, Vectors.dense(smallVector(p, D))));
      }
      for (int p = 0; p < 3; p++) {
        rows.add(RowFactory.create("b", p, Vectors.dense(smallVector(10 + p, D))));
      }
      int i = (seq.equals("a") ? 0 : 4) + pos;
      double[] x = ((Vector) rows.get(i).get(2)).toArray();
      x[c] = value;
      rows.set(i, RowFactory.create(seq, pos, Vectors.dense(x)));
      Path p = dir.resolve("in.parquet");
      SparkTestSession.spark()
          .createDataFrame(rows, TokenFiles.schema(DataTypes.StringType, DataTypes.IntegerType))
          .write()
          .parquet(p.toString());
      return p.toString();
    };
  }

  static InputFile goodJson() {
    return jsonLines(goodLines());
  }

  static InputFile weightsJson(String text) {
    return dir -> {
      Files.writeString(dir.resolve("w.json"), text);
      return goodJson().make(dir);
    };
  }

  static String matrixJson(int rows, int cols) {
    double[][] m = new double[rows][cols];
    for (int i = 0; i < Math.min(rows, cols); i++) {
      m[i][i] = 1;
    }
    return json(m);
  }
}
