package io.sparkattention.job;

import io.sparkattention.kernel.Mask;
import io.sparkattention.spark.InputException;
import java.util.Locale;

/** The {@code --attention} choices of the attention job and the mask each means. */
public enum AttentionKind {
  /** Every query attends to every key. */
  GLOBAL,
  /** Query i attends to keys j with |i − j| ≤ window. */
  LOCAL,
  /** Query i attends to keys j ≤ i (and j ≥ i − window when a window is given). */
  CAUSAL;

  public static AttentionKind parse(String s) {
    try {
      return valueOf(s.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new InputException("unknown --attention '" + s + "' (valid: global, local, causal)");
    }
  }

  /**
   * The mask for this kind and {@code window} (null when not given).
   *
   * @throws InputException if local has no window, global has one, or the window is negative
   */
  public Mask mask(Integer window) {
    if (window != null && window < 0) {
      throw new InputException("--window must be >= 0, got " + window);
    }
    switch (this) {
      case GLOBAL:
        if (window != null) {
          throw new InputException(
              "--window applies to local and causal attention, not global (use --attention local)");
        }
        return Mask.none();
      case LOCAL:
        if (window == null) {
          throw new InputException("--attention local needs --window W");
        }
        return Mask.window(window);
      default:
        return window == null ? Mask.causal() : Mask.causalWindow(window);
    }
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
