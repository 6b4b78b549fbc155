package io.sparkattention.spark.pooling;

import com.fasterxml.jackson.databind.JsonNode;
import io.sparkattention.spark.InputException;
import io.sparkattention.spark.io.WeightsFile;
import java.util.Iterator;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.ejml.data.DMatrixRMaj;

/**
 * The hierarchical attention network's pooling weights as read from JSON: word level {@code ww}
 * (d×a), {@code bw} (a), {@code uw} (a); sentence level {@code ws} (d×a'), {@code bs}, {@code us}
 * (a'); matrices as arrays of rows. Every part is optional, with the defaults of {@link
 * PoolingWeights#defaults}: a missing matrix is the d×d identity, a missing bias zero, a missing
 * context vector all {@code 1/√a}. Keys of the attention job ({@code wq}, …) are ignored, so one
 * file can serve both jobs.
 */
public final class HierarchicalWeights {
  /** The keys this job reads. */
  static final Set<String> KEYS = Set.of("ww", "bw", "uw", "ws", "bs", "us");

  private final String source;
  private final DMatrixRMaj[] matrices; // word, sentence
  private final double[][] biases;
  private final double[][] contexts;

  private HierarchicalWeights(
      String source, DMatrixRMaj[] matrices, double[][] biases, double[][] contexts) {
    this.source = source;
    this.matrices = matrices;
    this.biases = biases;
    this.contexts = contexts;
  }

  /** No file: the defaults at both levels. */
  public static HierarchicalWeights defaults() {
    return new HierarchicalWeights(
        "the default weights", new DMatrixRMaj[2], new double[2][], new double[2][]);
  }

  /**
   * Reads the file (shapes are checked against the data's width by {@link #word} and {@link
   * #sentence}).
   *
   * @throws InputException for a missing file, invalid JSON, an unknown key, or a ragged or
   *     non-numeric entry
   */
  public static HierarchicalWeights read(String path, Configuration conf) {
    JsonNode root = WeightsFile.readJson(path, conf);
    if (root == null || !root.isObject()) {
      throw new InputException("weights file " + path + " must hold a JSON object");
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!KEYS.contains(k)
          && !WeightsFile.ATTENTION_KEYS.contains(k)
          && !WeightsFile.OTHER_KEYS.contains(k)) {
        throw new InputException(
            "weights file "
                + path
                + " has unknown key '"
                + k
                + "' (the hierarchical job reads ww, bw, uw, ws, bs, us)");
      }
    }
    return new HierarchicalWeights(
        "weights file " + path,
        new DMatrixRMaj[] {
          WeightsFile.matrix(root, "ww", path), WeightsFile.matrix(root, "ws", path)
        },
        new double[][] {WeightsFile.vector(root, "bw", path), WeightsFile.vector(root, "bs", path)},
        new double[][] {
          WeightsFile.vector(root, "uw", path), WeightsFile.vector(root, "us", path)
        });
  }

  /**
   * The word level's weights for word vectors of width {@code d}.
   *
   * @throws InputException naming the part and both shapes when they do not fit
   */
  public PoolingWeights word(int d) {
    return level(0, d, "w", "word");
  }

  /**
   * The sentence level's weights for sentence vectors of width {@code d} (the words' width: a
   * sentence vector is a weighted mean of its words).
   *
   * @throws InputException naming the part and both shapes when they do not fit
   */
  public PoolingWeights sentence(int d) {
    return level(1, d, "s", "sentence");
  }

  private PoolingWeights level(int l, int d, String suffix, String what) {
    DMatrixRMaj W = matrices[l];
    if (W != null && W.numRows != d) {
      throw new InputException(
          source
              + ": w"
              + suffix
              + " is "
              + W.numRows
              + "×"
              + W.numCols
              + " but the "
              + what
              + " vectors are "
              + d
              + " wide (need "
              + d
              + " rows)");
    }
    PoolingWeights defaults = PoolingWeights.defaults(W == null ? d : W.numCols);
    int a = W == null ? d : W.numCols;
    String need =
        " (need "
            + a
            + ": "
            + (W == null
                ? "without w" + suffix + ", W is the identity"
                : "w" + suffix + "'s columns")
            + ")";
    double[] b = biases[l];
    if (b != null && b.length != a) {
      throw new InputException(source + ": b" + suffix + " has " + b.length + " entries" + need);
    }
    double[] u = contexts[l];
    if (u != null && u.length != a) {
      throw new InputException(source + ": u" + suffix + " has " + u.length + " entries" + need);
    }
    return new PoolingWeights(W == null ? defaults.W() : W, b, u == null ? defaults.u() : u);
  }
}
