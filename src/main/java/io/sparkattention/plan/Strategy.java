package io.sparkattention.plan;

import java.util.Locale;

/** How a sequence's attention is split into tasks. */
public enum Strategy {
  /** One task per whole sequence (all heads). */
  SINGLE,
  /** Query tiles × key/value groups; partial states of a query tile merged by log-sum-exp. */
  BLOCKS,
  /** Query tiles, each with the keys of its window plus a halo; no merge (local attention). */
  WINDOW,
  /** One task per (sequence, head); long sequences are cut further as in {@link #BLOCKS}. */
  HEADS,
  /** Chosen per input by {@link StrategyChooser}. */
  AUTO;

  /** Parses a strategy name, case-insensitive; the message lists the valid names. */
  public static Strategy parse(String name) {
    try {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "unknown strategy '" + name + "' (valid: single, blocks, window, heads, auto)");
    }
  }

  /**
   * Throws unless this strategy is resolved (not {@link #AUTO}).
   *
   * @throws IllegalArgumentException for {@link #AUTO}
   */
  public void requireResolved() {
    if (this == AUTO) {
      throw new IllegalArgumentException("resolve 'auto' with StrategyChooser before planning");
    }
  }

  /**
   * Throws unless local-p can be planned with this strategy: single, blocks or heads (auto must be
   * resolved first; window is for mask attention).
   *
   * @throws IllegalArgumentException for {@link #AUTO} and {@link #WINDOW}
   */
  public void requireLocalP() {
    requireResolved();
    if (this == WINDOW) {
      throw new IllegalArgumentException(
          "strategy 'window' is for local and causal attention; local-p runs with single, blocks"
              + " or heads (its blocks plan already gives each query only the keys near its centre)");
    }
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
