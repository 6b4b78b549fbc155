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

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}
