package io.sparkattention.spark.validate;

import io.sparkattention.kernel.Rope;
import io.sparkattention.kernel.ScoreOptions;
import io.sparkattention.spark.AttentionSpec;
import io.sparkattention.spark.InputException;

/**
 * The rules of {@link AttentionSpec}'s score options, for its builder; errors name the parameter.
 */
public final class ScoreRules {
  private ScoreRules() {}

  /**
   * The score options of a spec's values, checked.
   *
   * @throws InputException naming the parameter at fault
   */
  public static ScoreOptions check(
      double scale,
      double softcap,
      boolean alibi,
      Rope.Style ropeStyle,
      double ropeTheta,
      int kvHeads,
      int numHeads,
      boolean localP,
      boolean cross) {
    require(
        Double.isNaN(scale) || (scale > 0 && Double.isFinite(scale)),
        "scale",
        "must be finite and > 0, got " + scale);
    require(softcap >= 0 && Double.isFinite(softcap), "softcap", "must be > 0, got " + softcap);
    require(
        ropeTheta > 1 && Double.isFinite(ropeTheta),
        "ropeTheta",
        "must be finite and > 1, got " + ropeTheta);
    require(
        ropeStyle != null || ropeTheta == Rope.DEFAULT_THETA,
        "ropeTheta",
        "applies to rotary embeddings: set rope too");
    require(kvHeads >= 0, "kvHeads", "must be >= 1, got " + kvHeads);
    require(
        kvHeads == 0 || (kvHeads <= numHeads && numHeads % kvHeads == 0),
        "kvHeads",
        "must divide heads (" + numHeads + "), got " + kvHeads);
    if (localP) {
      String set =
          alibi
              ? "alibi"
              : ropeStyle != null
                  ? "rope"
                  : kvHeads != 0 ? "kvHeads" : softcap != 0 ? "softcap" : null;
      require(
          set == null && Double.isNaN(scale),
          set == null ? "scale" : set,
          "does not apply to local-p attention (its windows follow predicted centres)");
    }
    require(
        !(cross && alibi),
        "alibi",
        "does not apply to cross attention (input and context positions are unrelated)");
    ScoreOptions o =
        ScoreOptions.standard()
            .withScale(scale)
            .withSoftcap(softcap)
            .withAlibi(alibi)
            .withKvHeads(kvHeads);
    return ropeStyle == null ? o : o.withRope(Rope.of(ropeStyle, ropeTheta));
  }

  private static void require(boolean ok, String parameter, String problem) {
    if (!ok) {
      throw InputException.forParameter(parameter, problem);
    }
  }
}
