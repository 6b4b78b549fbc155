package io.sparkattention.spark.attention;

import io.sparkattention.cost.CostModel;
import io.sparkattention.kernel.AttentionWeights;
import io.sparkattention.kernel.MultiHeadOps;
import io.sparkattention.plan.TileTask;
import java.io.Serializable;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

/**
 * What stage 1 ships per key row to a tile task, and how the task gets its keys and values from it:
 * the raw input vector (projected inside the task, a key block at a time), or, where that is fewer
 * doubles ({@link CostModel.Widths#keysProjected}), the task's head group's columns of the
 * projected keys followed by those of the projected values, computed once per key row before the
 * shuffle. The choice depends on the plan's head groups and the widths alone, so it is the same on
 * every partition count; each row is projected on its own (a 1-row product), so its bits do not
 * depend on which rows share its partition.
 */
final class KeyShipping implements Serializable {
  private static final long serialVersionUID = 1L;

  private final CostModel.Widths widths;
  private final int numHeads;

  /**
   * @param widths the plan's widths (null: always raw)
   * @param numHeads query heads
   */
  KeyShipping(CostModel.Widths widths, int numHeads) {
    this.widths = widths;
    this.numHeads = numHeads;
  }

  /** Head groups a task is cut into (one for a whole sequence's task). */
  private int groups(TileTask t) {
    return numHeads / t.headCount();
  }

  /** Whether key rows reach task {@code t} projected. */
  boolean projected(TileTask t) {
    return widths != null && widths.keysProjected(groups(t));
  }

  /**
   * The plan log's words for the choice of tile tasks cut into {@code groups} head groups under
   * {@code kvHeads} key/value heads, e.g. "keys and values projected before the shuffle: 2×G×d_head
   * = 2×1×4 = 8 doubles a row instead of d_model = 16".
   */
  static String describe(CostModel.Widths widths, int groups, int kvHeads) {
    if (!widths.keysProjected(groups)) {
      return "raw key rows shipped, projected in the tasks ("
          + widths.projectedKeyDoubles(groups)
          + " projected doubles a row would not be fewer than d_model = "
          + widths.keyInput()
          + ")";
    }
    int kv = kvHeads / groups;
    int dHead = widths.key() / kvHeads;
    int dValueHead = widths.keyValue() / kvHeads;
    String formula =
        dHead == dValueHead
            ? (groups > 1 ? "2×d_head = 2×" + dHead : "2×G×d_head = 2×" + kv + "×" + dHead)
            : (groups > 1 ? "" : kv + "×")
                + "(d_head + d_value_head) = "
                + (groups > 1 ? "" : kv + "×")
                + "("
                + dHead
                + " + "
                + dValueHead
                + ")";
    return "keys and values projected before the shuffle: "
        + formula
        + " = "
        + widths.projectedKeyDoubles(groups)
        + " doubles a row"
        + (groups > 1 ? " to each of the " + groups + " head groups" : "")
        + " instead of d_model = "
        + widths.keyInput();
  }

  /** Per key row on the route side: its projection, computed once, and each group's share. */
  static final class Row {
    private final KeyShipping shipping;
    private final AttentionWeights weights;
    private double[] x;
    private double[] k;
    private double[] v;
    private double[][] shares;
    private int sharesGroups;

    Row(KeyShipping shipping, AttentionWeights weights) {
      this.shipping = shipping;
      this.weights = weights;
    }

    /** Starts a new key row of raw vector {@code x}. */
    void reset(double[] x) {
      this.x = x;
      this.k = null;
      this.v = null;
      this.shares = null;
    }

    /** What to ship to task {@code t}: {@code x}, or the task's group's keys then values. */
    double[] forTask(TileTask t) {
      if (!shipping.projected(t)) {
        return x;
      }
      int groups = shipping.groups(t);
      if (k == null) {
        DMatrixRMaj X = DMatrixRMaj.wrap(1, x.length, x);
        k = weights.projectKey(X).data;
        v = weights.projectValue(X).data;
      }
      if (shares == null || sharesGroups != groups) {
        shares = new double[groups][];
        sharesGroups = groups;
      }
      int g = t.headGroup();
      if (shares[g] == null) {
        int kw = k.length / groups;
        int vw = v.length / groups;
        double[] kv = new double[kw + vw];
        // [k of group g | v of group g]: the columns groupColumns takes from a projected block
        System.arraycopy(k, g * kw, kv, 0, kw);
        System.arraycopy(v, g * vw, kv, kw, vw);
        shares[g] = kv;
      }
      return shares[g];
    }
  }

  /**
   * Task {@code t}'s keys and values of a key block {@code Xk}: projected here from raw rows, or
   * split from rows shipped projected ({@code projected}: keys' columns first).
   *
   * @return {K, V}, the task's head group's columns
   */
  DMatrixRMaj[] keysAndValues(
      DMatrixRMaj Xk, TileTask t, AttentionWeights weights, boolean projected) {
    if (!projected) {
      return new DMatrixRMaj[] {
        groupColumns(weights.projectKey(Xk), t), groupColumns(weights.projectValue(Xk), t)
      };
    }
    int groups = groups(t);
    int kw = widths.key() / groups;
    int vw = widths.keyValue() / groups;
    if (Xk.numCols != kw + vw) {
      throw new IllegalStateException(
          "task " + t.id() + ": key rows of " + Xk.numCols + " doubles, expected " + (kw + vw));
    }
    return new DMatrixRMaj[] {
      CommonOps_DDRM.extract(Xk, 0, Xk.numRows, 0, kw),
      CommonOps_DDRM.extract(Xk, 0, Xk.numRows, kw, kw + vw)
    };
  }

  /** The columns of the task's head group of a projected matrix (all of it for one group). */
  DMatrixRMaj groupColumns(DMatrixRMaj M, TileTask t) {
    // from the task, not the plan: a whole sequence's task holds every head in one group
    int groups = groups(t);
    return groups == 1 ? M : MultiHeadOps.head(M, t.headGroup(), groups);
  }
}
