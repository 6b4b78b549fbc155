package io.sparkattention.job;

import io.sparkattention.kernel.Mask;
import io.sparkattention.spark.InputException;
import java.util.Locale;

/**
 * The {@code --attention} choices of the attention job and the mask each means. Hard attention
 * takes the masks of the softmax kinds through {@code --window} and {@code --causal}: global by
 * default, local with a window, causal with {@code --causal} (and a window, if given).
 */
public enum AttentionKind {
  /** Every query attends to every key. */
  GLOBAL,
  /** Query i attends to keys j with |i − j| ≤ window. */
  LOCAL,
  /** Query i attends to keys j ≤ i (and j ≥ i − window when a window is given). */
  CAUSAL,
  /** Queries from the input attend to every key of the context's sequence of equal seq_id. */
  CROSS,
  /** Query i takes the value of its highest-scoring allowed key (argmax, or sampled). */
  HARD,
  /**
   * Luong local-p: query t attends to keys within {@code window} of its predicted centre p_t,
   * Gaussian-weighted (needs wp and vp in the weights).
   */
  LOCAL_P;

  public static AttentionKind parse(String s) {
    try {
      return valueOf(s.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      throw new InputException(
          "unknown --attention '" + s + "' (valid: global, local, causal, cross, hard, local-p)");
    }
  }

  /**
   * The local-p window half-width D for this kind: {@code window} for local-p, 0 (not local-p)
   * otherwise.
   *
   * @throws InputException if local-p has no window or one below 1
   */
  public int localPWindow(Integer window) {
    if (this != LOCAL_P) {
      return 0;
    }
    if (window == null || window < 1) {
      throw new InputException(
          "--attention local-p needs --window D >= 1 (keys within D of each predicted centre)"
              + (window == null ? "" : ", got " + window));
    }
    return window;
  }

  /**
   * The mask for this kind and {@code window} (null when not given).
   *
   * @throws InputException if local has no window, global has one, or the window is negative
   */
  public Mask mask(Integer window) {
    return mask(window, false);
  }

  /**
   * The mask for this kind, {@code window} (null when not given) and {@code --causal}.
   *
   * @throws InputException as {@link #mask(Integer)}, and if cross has a window or a kind other
   *     than hard has {@code --causal}
   */
  public Mask mask(Integer window, boolean causal) {
    if (window != null && window < 0) {
      throw new InputException("--window must be >= 0, got " + window);
    }
    if (causal && this != HARD) {
      throw new InputException(
          "--causal applies to --attention hard (softmax causal attention is --attention causal)");
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
      case CROSS:
        if (window != null) {
          throw new InputException(
              "--window does not apply to cross attention (input and context positions are"
                  + " unrelated)");
        }
        return Mask.none();
      case HARD:
        if (causal) {
          return window == null ? Mask.causal() : Mask.causalWindow(window);
        }
        return window == null ? Mask.none() : Mask.window(window);
      case LOCAL_P:
        localPWindow(window);
        return Mask.none(); // the windows come from the predicted centres
      default:
        return window == null ? Mask.causal() : Mask.causalWindow(window);
    }
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }
}
