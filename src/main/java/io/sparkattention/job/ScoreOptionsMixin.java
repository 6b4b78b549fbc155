package io.sparkattention.job;

import io.sparkattention.kernel.Rope;
import io.sparkattention.spark.AttentionSpec;
import io.sparkattention.spark.InputException;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The attention job's options of today's models, a picocli mixin: {@code --scale}, {@code
 * --softcap}, {@code --alibi}, {@code --rope} (with {@code --rope-theta}, {@code --rope-style}) and
 * {@code --kv-heads}. They go into the spec as they are; {@link AttentionSpec.Builder#build()}
 * checks them, and {@link #OPTION_NAMES} maps its parameter names back to these options.
 */
final class ScoreOptionsMixin {
  /** The spec's parameter names of these options, and the options. */
  static final Map<String, String> OPTION_NAMES =
      Map.of(
          "scale", "--scale",
          "softcap", "--softcap",
          "alibi", "--alibi",
          "rope", "--rope",
          "ropeTheta", "--rope-theta",
          "kvHeads", "--kv-heads");

  @Option(
      names = "--scale",
      paramLabel = "S",
      description = "Score scale: scores are S·q·k (default: 1/sqrt(d_head)).")
  Double scale;

  @Option(
      names = "--softcap",
      paramLabel = "C",
      description =
          "Cap scores at C·tanh(s/C) after scaling, before the mask (Gemma 2: 50; default: none).")
  Double softcap;

  @Option(
      names = "--alibi",
      description =
          "ALiBi: add -m_h·|q-k| to head h's scores, BLOOM's slopes for any number of heads.")
  boolean alibi;

  @Option(
      names = "--rope",
      description =
          "Rotary position embeddings of each head's projected queries and keys at their pos.")
  boolean rope;

  @Option(
      names = "--rope-theta",
      paramLabel = "T",
      description = "RoPE base (default: " + Rope.DEFAULT_THETA + "); needs --rope.")
  Double ropeTheta;

  @Option(
      names = "--rope-style",
      paramLabel = "half|interleaved",
      description =
          "RoPE pairs: half (Llama, Mistral, GPT-NeoX: columns i and i+d/2) or interleaved (GPT-J:"
              + " 2i and 2i+1); default half; needs --rope.")
  String ropeStyle;

  @Option(
      names = "--kv-heads",
      paramLabel = "G",
      description =
          "Key/value heads (grouped-query; 1 = multi-query): wk, wv produce G heads, query head h"
              + " uses key/value head floor(h·G/H); must divide --heads (default: --heads).")
  Integer kvHeads;

  /**
   * Sets these options on {@code spec}.
   *
   * @throws InputException for --rope-style or --rope-theta without --rope, or an unknown style
   */
  AttentionSpec.Builder applyTo(AttentionSpec.Builder spec) {
    if (!rope && (ropeStyle != null || ropeTheta != null)) {
      throw new InputException(
          (ropeStyle != null ? "--rope-style" : "--rope-theta") + " applies to --rope");
    }
    if (scale != null) {
      spec.scale(scale);
    }
    if (softcap != null) {
      if (softcap <= 0) {
        throw new InputException("--softcap must be > 0, got " + softcap);
      }
      spec.softcap(softcap);
    }
    if (kvHeads != null) {
      if (kvHeads < 1) {
        throw new InputException("--kv-heads must be >= 1, got " + kvHeads);
      }
      spec.kvHeads(kvHeads);
    }
    spec.alibi(alibi);
    if (rope) {
      try {
        spec.rope(ropeStyle == null ? Rope.Style.HALF : Rope.Style.parse(ropeStyle));
      } catch (IllegalArgumentException e) {
        throw new InputException("--rope-style: " + e.getMessage());
      }
      spec.ropeTheta(ropeTheta == null ? Rope.DEFAULT_THETA : ropeTheta);
    }
    return spec;
  }
}
