package io.sparkattention.spark.validate;

import io.sparkattention.kernel.Mask;
import io.sparkattention.kernel.Precision;
import io.sparkattention.plan.Strategy;
import io.sparkattention.spark.AttentionSpec;
import io.sparkattention.spark.InputException;

/**
 * The rules of {@link AttentionSpec}'s fields other than its score options ({@link ScoreRules}):
 * each field's range, then the fields that do not go together (local-p with hard attention or a
 * mask; cross-attention with a pyramid, local-p, the window split or a mask; global tokens with
 * local-p, a pyramid, cross-attention or segments). Errors name the parameter.
 */
public final class SpecRules {
  /** The most pyramid levels (each halves the length and doubles the width). */
  public static final int MAX_PYRAMID_LEVELS = 10;

  private SpecRules() {}

  /**
   * Checks a spec its builder has just made.
   *
   * @throws InputException naming the parameter at fault
   */
  public static void check(AttentionSpec spec) {
    Mask mask = spec.mask();
    require(mask != null, "mask", "is required (Mask.none() for global attention)");
    require(spec.weights() != null, "weights", "is required (AttentionWeights.none() for none)");
    require(spec.strategy() != null, "strategy", "is required (Strategy.AUTO to choose)");
    require(spec.selection() != null, "selection", "is required (Selection.soft() for softmax)");
    require(spec.precision() != null, "precision", "is required (Precision.FP64 for double)");
    require(
        spec.precision() == Precision.FP64 || !spec.selection().isHard(),
        "precision",
        "fp32 applies to softmax attention; hard attention (an argmax) computes in fp64");
    requireAtLeast(1, spec.numHeads(), "heads");
    requireAtLeast(1, spec.blockSize(), "blockSize");
    requireAtLeast(1, spec.queryTileBlocks(), "queryTileBlocks");
    requireAtLeast(1, spec.keyTileBlocks(), "keyTileBlocks");
    requireAtLeast(0, spec.partitions(), "partitions");
    // 0 means "not local-p", so the message names the least value that is local-p.
    require(spec.localPWindow() >= 0, "localPWindow", "must be >= 1, got " + spec.localPWindow());
    int levels = spec.pyramidLevels();
    require(
        levels >= 0 && levels <= MAX_PYRAMID_LEVELS,
        "pyramidLevels",
        "must be between 0 and " + MAX_PYRAMID_LEVELS + ", got " + levels);
    require(
        !spec.windowClip()
            || mask.kind() == Mask.Kind.WINDOW
            || mask.kind() == Mask.Kind.CAUSAL_WINDOW,
        "windowClip",
        "needs a window mask (local, or causal with a window), not " + mask);
    if (mask.hasGlobalTokens()) {
      checkGlobalTokens(spec, "globalTokens");
    }
    if (spec.globalColumn() != null) {
      require(!spec.globalColumn().isBlank(), "globalColumn", "must name a column");
      require(
          !mask.hasGlobalTokens(),
          "globalColumn",
          "does not combine with globalTokens, a count of global tokens (mark the first N rows"
              + " true in the column instead)");
      checkGlobalTokens(spec, "globalColumn");
    }
    if (spec.isLocalP()) {
      require(!spec.selection().isHard(), "localPWindow", "applies to softmax attention, not hard");
      require(
          mask.equals(Mask.none()),
          "localPWindow",
          "takes its windows from the predicted centres, not from a mask (" + mask + ")");
    }
    ScoreRules.checkCombinations(spec);
    if (spec.segmentColumn() != null) {
      require(!spec.segmentColumn().isBlank(), "segmentColumn", "must name a column");
      require(!spec.isLocalP(), "segmentColumn", "does not apply to local-p attention");
      require(levels == 0, "segmentColumn", "does not apply with a pyramid (its steps mix tokens)");
      require(
          !spec.isCross(),
          "segmentColumn",
          "does not apply to cross attention (input and context positions are unrelated)");
    }
    if (spec.isCross()) {
      require(
          levels == 0,
          "pyramidLevels",
          "applies to self-attention, not cross attention (the context would stay at the"
              + " input's width)");
      require(!spec.isLocalP(), "localPWindow", "is self-attention: it takes no context table");
      require(
          spec.strategy() != Strategy.WINDOW,
          "strategy",
          "window does not apply to cross attention (every query sees its whole context; use"
              + " single, blocks, heads or auto)");
      require(
          mask.equals(Mask.none()),
          "mask",
          "does not apply to cross attention (input and context positions are unrelated)");
    }
  }

  /**
   * Global tokens (parameter {@code p}) are positions of a self-attention sequence under a mask:
   * not local-p (no mask), a pyramid (its steps mix tokens) or cross attention. With packed
   * documents (a segment column) they see and are seen within their own document.
   */
  private static void checkGlobalTokens(AttentionSpec spec, String p) {
    require(
        !spec.isLocalP(),
        p,
        "does not apply to local-p attention (its windows follow the centres)");
    require(spec.pyramidLevels() == 0, p, "does not apply with a pyramid (its steps mix tokens)");
    require(
        !spec.isCross(),
        p,
        "does not apply to cross attention (input and context positions are unrelated)");
    require(
        spec.segmentColumn() == null || !spec.segmentColumn().equals(spec.globalColumn()),
        p,
        "names the segment column: a column is either the documents or the global tokens");
  }

  /**
   * {@code value}, checked where a builder's setter takes it.
   *
   * @throws InputException naming {@code parameter} if {@code value} is negative
   */
  public static int atLeast0(int value, String parameter) {
    require(value >= 0, parameter, "must be >= 0, got " + value);
    return value;
  }

  private static void requireAtLeast(int least, int value, String parameter) {
    require(value >= least, parameter, "must be >= " + least + ", got " + value);
  }

  private static void require(boolean ok, String parameter, String problem) {
    if (!ok) {
      throw InputException.forParameter(parameter, problem);
    }
  }
}
