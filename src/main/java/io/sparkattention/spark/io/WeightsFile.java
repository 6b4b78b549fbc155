package io.sparkattention.spark.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sparkattention.kernel.AttentionWeights;
import io.sparkattention.spark.InputException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Iterator;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.ejml.data.DMatrixRMaj;

/**
 * Reads attention weights from JSON: {@code {"wq": [[…], …], "bq": […], "wk", "bk", "wv", "bv",
 * "wo", "bo"}}, matrices d_in × d_out as arrays of rows, {@code y = x·W + b}, every entry optional;
 * and for local-p {@code "wp"} (d_q × a, d_q the projected query width) with {@code "vp"} (a).
 */
public final class WeightsFile {
  /** Keys the attention job reads. */
  public static final Set<String> ATTENTION_KEYS =
      Set.of("wq", "bq", "wk", "bk", "wv", "bv", "wo", "bo", "wp", "vp");

  /** Keys other jobs read from the same file (hierarchical pooling); ignored here. */
  public static final Set<String> OTHER_KEYS = Set.of("ww", "bw", "uw", "ws", "bs", "us");

  private WeightsFile() {}

  /**
   * Reads and checks the file (shapes are checked against the data later).
   *
   * @throws InputException for a missing file, invalid JSON, an unknown key, a ragged or
   *     non-numeric matrix, or a bias without its matrix
   */
  public static AttentionWeights read(String path, Configuration conf) {
    return parse(readJson(path, conf), path);
  }

  /**
   * The file's JSON tree.
   *
   * @throws InputException for a missing file or invalid JSON
   */
  public static JsonNode readJson(String path, Configuration conf) {
    JsonNode root;
    try {
      Path p = new Path(path);
      if (!p.getFileSystem(conf).exists(p)) {
        throw new InputException("weights file does not exist: " + path);
      }
      try (InputStream in = p.getFileSystem(conf).open(p)) {
        root = new ObjectMapper().readTree(in);
      }
    } catch (InputException e) {
      throw e;
    } catch (IOException e) {
      throw new InputException(
          "weights file " + path + " is not valid JSON: " + TokenTables.firstLine(e.getMessage()),
          e);
    }
    return root;
  }

  static AttentionWeights parse(JsonNode root, String path) {
    if (root == null || !root.isObject()) {
      throw new InputException("weights file " + path + " must hold a JSON object");
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!ATTENTION_KEYS.contains(k) && !OTHER_KEYS.contains(k)) {
        throw new InputException(
            "weights file "
                + path
                + " has unknown key '"
                + k
                + "' (known: wq, bq, wk, bk, wv, bv, wo, bo, wp, vp)");
      }
    }
    try {
      return AttentionWeights.builder()
          .query(matrix(root, "wq", path), vector(root, "bq", path))
          .key(matrix(root, "wk", path), vector(root, "bk", path))
          .value(matrix(root, "wv", path), vector(root, "bv", path))
          .output(matrix(root, "wo", path), vector(root, "bo", path))
          .localP(matrix(root, "wp", path), vector(root, "vp", path))
          .build();
    } catch (InputException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      throw new InputException("weights file " + path + ": " + e.getMessage(), e);
    }
  }

  /**
   * The matrix under {@code key} (null when absent).
   *
   * @throws InputException for a ragged or non-numeric matrix
   */
  public static DMatrixRMaj matrix(JsonNode root, String key, String path) {
    JsonNode m = root.get(key);
    if (m == null || m.isNull()) {
      return null;
    }
    if (!m.isArray() || m.size() == 0 || !m.get(0).isArray() || m.get(0).size() == 0) {
      throw new InputException(
          "weights file "
              + path
              + ": "
              + key
              + " must be a non-empty array of rows (arrays of numbers)");
    }
    int rows = m.size();
    int cols = m.get(0).size();
    DMatrixRMaj M = new DMatrixRMaj(rows, cols);
    for (int i = 0; i < rows; i++) {
      JsonNode row = m.get(i);
      if (!row.isArray() || row.size() != cols) {
        throw new InputException(
            "weights file "
                + path
                + ": "
                + key
                + " row "
                + i
                + " has "
                + (row.isArray() ? row.size() : 0)
                + " entries, row 0 has "
                + cols);
      }
      for (int j = 0; j < cols; j++) {
        M.set(i, j, number(row.get(j), key + "[" + i + "][" + j + "]", path));
      }
    }
    return M;
  }

  /**
   * The vector under {@code key} (null when absent).
   *
   * @throws InputException for a non-numeric entry
   */
  public static double[] vector(JsonNode root, String key, String path) {
    JsonNode v = root.get(key);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isArray()) {
      throw new InputException(
          "weights file " + path + ": " + key + " must be an array of numbers");
    }
    double[] out = new double[v.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = number(v.get(i), key + "[" + i + "]", path);
    }
    return out;
  }

  private static double number(JsonNode n, String where, String path) {
    if (n == null || !n.isNumber()) {
      throw new InputException("weights file " + path + ": " + where + " is not a number: " + n);
    }
    return n.doubleValue();
  }
}
