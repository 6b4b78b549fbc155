package io.sparkattention.kernel;

import java.io.Serializable;

/**
 * Which keys a query may attend to, stated on absolute positions so that a block of queries or keys
 * knows where it sits in the whole sequence. Every mask here allows one contiguous interval of key
 * positions per query: {@code [firstKey(q), lastKey(q)]}.
 *
 * <ul>
 *   <li>{@link #none()}: every key.
 *   <li>{@link #causal()}: {@code k <= q}.
 *   <li>{@link #window(int) window(w)}: {@code |q - k| <= w} (Luong local-m).
 *   <li>{@link #causalWindow(int) causalWindow(w)}: {@code q - w <= k <= q}.
 * </ul>
 *
 * <p>Immutable and serializable.
 */
public final class Mask implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The kinds of mask. */
  public enum Kind {
    NONE,
    CAUSAL,
    WINDOW,
    CAUSAL_WINDOW
  }

  private static final Mask NONE = new Mask(Kind.NONE, 0);
  private static final Mask CAUSAL = new Mask(Kind.CAUSAL, 0);

  private final Kind kind;
  private final int window;

  private Mask(Kind kind, int window) {
    this.kind = kind;
    this.window = window;
  }

  /** Every query attends to every key. */
  public static Mask none() {
    return NONE;
  }

  /** Query {@code q} attends to keys {@code k <= q}. */
  public static Mask causal() {
    return CAUSAL;
  }

  /**
   * Query {@code q} attends to keys with {@code |q - k| <= window}.
   *
   * @throws IllegalArgumentException if {@code window < 0}
   */
  public static Mask window(int window) {
    return new Mask(Kind.WINDOW, checkWindow(window));
  }

  /**
   * Query {@code q} attends to keys with {@code q - window <= k <= q}.
   *
   * @throws IllegalArgumentException if {@code window < 0}
   */
  public static Mask causalWindow(int window) {
    return new Mask(Kind.CAUSAL_WINDOW, checkWindow(window));
  }

  private static int checkWindow(int window) {
    if (window < 0) {
      throw new IllegalArgumentException("window must be >= 0, got " + window);
    }
    return window;
  }

  public Kind kind() {
    return kind;
  }

  /** The window half-width; 0 for {@link Kind#NONE} and {@link Kind#CAUSAL}. */
  public int window() {
    return window;
  }

  /** The first key position query {@code qPos} may see (may be negative: clip to the keys). */
  public long firstKey(long qPos) {
    switch (kind) {
      case WINDOW:
      case CAUSAL_WINDOW:
        return qPos - window;
      default:
        return Long.MIN_VALUE / 4;
    }
  }

  /** The last key position query {@code qPos} may see (may exceed the keys: clip to them). */
  public long lastKey(long qPos) {
    switch (kind) {
      case CAUSAL:
      case CAUSAL_WINDOW:
        return qPos;
      case WINDOW:
        return qPos + window;
      default:
        return Long.MAX_VALUE / 4;
    }
  }

  /** Whether query {@code qPos} may attend to key {@code kPos}. */
  public boolean allows(long qPos, long kPos) {
    return kPos >= firstKey(qPos) && kPos <= lastKey(qPos);
  }

  /**
   * Whether any query in positions {@code [q0, q1]} may see any key in {@code [k0, k1]} (used to
   * skip block pairs that are wholly masked, such as blocks above the causal diagonal).
   */
  public boolean anyAllowed(long q0, long q1, long k0, long k1) {
    if (q0 > q1 || k0 > k1) {
      return false;
    }
    // Both bounds are non-decreasing in q and lastKey(q) = q + c (or unbounded): the first query
    // that reaches k0 is max(q0, k0 - c); later queries only move further from k0's side.
    long q = lastKey(q0) >= k0 ? q0 : k0 - lastKey(0);
    return q <= q1 && firstKey(q) <= k1;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Mask && ((Mask) o).kind == kind && ((Mask) o).window == window;
  }

  @Override
  public int hashCode() {
    return kind.hashCode() * 31 + window;
  }

  @Override
  public String toString() {
    switch (kind) {
      case NONE:
        return "none";
      case CAUSAL:
        return "causal";
      case WINDOW:
        return "window(" + window + ")";
      default:
        return "causalWindow(" + window + ")";
    }
  }
}
