package io.sparkattention.kernel;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Which keys a query may attend to, stated on absolute positions so that a block of queries or keys
 * knows where it sits in the whole sequence. Every mask here allows one contiguous interval of key
 * positions per query, {@code [firstKey(q), lastKey(q)]}, and with global tokens a second one,
 * {@code [0, globalLastKey(q)]}.
 *
 * <ul>
 *   <li>{@link #none()}: every key.
 *   <li>{@link #causal()}: {@code k <= q}.
 *   <li>{@link #window(int) window(w)}: {@code |q - k| <= w} (Luong local-m).
 *   <li>{@link #causalWindow(int) causalWindow(w)}: {@code q - w <= k <= q}.
 * </ul>
 *
 * <p>{@link #withSegments} adds packed documents to any of them: the sequence is cut into
 * contiguous segments and a query sees only keys of its own segment, so the interval stays one
 * interval (the mask's, clipped to the segment).
 *
 * <p>{@link #withGlobalTokens withGlobalTokens(n)} adds Longformer's global tokens, positions
 * {@code 0 … n−1}: {@code allowed(q, k) = base(q, k) || ((q < n || k < n) && (k <= q || !causal))}.
 * A global query sees every key (with a causal mask every key at or before it); every query sees
 * the global keys (with a causal mask those at or before it, so causality always holds). A
 * non-global query then sees two intervals: the base one {@code [firstKey(q), lastKey(q)]} and the
 * global keys {@code [0, globalLastKey(q)]}. Global tokens do not combine with segments.
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

  /** Far beyond any position, yet safe to add a window to or subtract one from. */
  private static final long UNBOUNDED = Long.MAX_VALUE / 4;

  private final Kind kind;
  private final int window;

  /** The first position of each segment, strictly increasing from 0; null for one segment. */
  private final long[] segmentStarts;

  /** Global tokens: positions {@code 0 … globalTokens − 1} (0: none). */
  private final int globalTokens;

  private Mask(Kind kind, int window) {
    this(kind, window, null, 0);
  }

  private Mask(Kind kind, int window, long[] segmentStarts, int globalTokens) {
    this.kind = kind;
    this.window = window;
    this.segmentStarts = segmentStarts;
    this.globalTokens = globalTokens;
  }

  /**
   * This mask with global tokens at positions {@code 0 … n−1} of each sequence (Longformer,
   * BigBird): they see every key and every query sees them, causality kept (see the class comment);
   * {@code n = 0} removes them.
   *
   * @throws IllegalArgumentException if {@code n < 0}, or {@code n > 0} on a mask with segments
   */
  public Mask withGlobalTokens(int n) {
    if (n < 0) {
      throw new IllegalArgumentException("global tokens must be >= 0, got " + n);
    }
    if (n > 0 && segmentStarts != null) {
      throw new IllegalArgumentException("global tokens do not combine with segments");
    }
    return n == globalTokens ? this : new Mask(kind, window, segmentStarts, n);
  }

  /** The number of global tokens (positions {@code 0 … n−1}; 0: none). */
  public int globalTokens() {
    return globalTokens;
  }

  /** Whether the query or key at {@code pos} is a global token: {@code 0 <= pos < n}. */
  public boolean isGlobal(long pos) {
    return pos >= 0 && pos < globalTokens;
  }

  /** This mask without its global tokens: the base mask of the class comment. */
  public Mask withoutGlobalTokens() {
    return withGlobalTokens(0);
  }

  /** Whether the mask is causal (with or without a window). */
  public boolean isCausal() {
    return kind == Kind.CAUSAL || kind == Kind.CAUSAL_WINDOW;
  }

  /**
   * This mask within segments: query {@code q} sees only the keys of its own segment, the segments
   * being {@code [starts[i], starts[i+1])} and {@code [starts[last], ∞)} (packed documents). With
   * one segment (starts {@code {0}}) the mask is unchanged.
   *
   * @param starts the first position of each segment: 0 first, then strictly increasing
   * @throws IllegalArgumentException if the starts are empty, do not begin at 0 or do not increase
   */
  public Mask withSegments(long[] starts) {
    if (globalTokens > 0 && starts.length > 1) {
      throw new IllegalArgumentException("global tokens do not combine with segments");
    }
    if (starts.length == 0 || starts[0] != 0) {
      throw new IllegalArgumentException(
          "segment starts must begin at position 0, got " + Arrays.toString(starts));
    }
    for (int i = 1; i < starts.length; i++) {
      if (starts[i] <= starts[i - 1]) {
        throw new IllegalArgumentException(
            "segment starts must increase, got " + starts[i - 1] + " then " + starts[i]);
      }
    }
    return new Mask(kind, window, starts.length == 1 ? null : starts.clone(), globalTokens);
  }

  /** This mask made causal: keys at or before the query, within its window if it has one. */
  public Mask causalToo() {
    boolean windowed = kind == Kind.WINDOW || kind == Kind.CAUSAL_WINDOW;
    return (windowed ? causalWindow(window) : causal()).withGlobalTokens(globalTokens);
  }

  /**
   * This mask with window {@code window}: {@code |q - k| <= window}, or {@code q - window <= k <=
   * q} if it is causal.
   *
   * @throws IllegalArgumentException if {@code window < 0}
   */
  public Mask withWindow(int window) {
    return (isCausal() ? causalWindow(window) : window(window)).withGlobalTokens(globalTokens);
  }

  /** This mask without its window (causal stays causal), keeping its global tokens. */
  public Mask withoutWindow() {
    return (isCausal() ? causal() : none()).withGlobalTokens(globalTokens);
  }

  /** This mask over the whole sequence (without its segments). */
  public Mask withoutSegments() {
    return segmentStarts == null ? this : new Mask(kind, window, null, globalTokens);
  }

  /** Whether the mask cuts the sequence into more than one segment. */
  public boolean hasSegments() {
    return segmentStarts != null;
  }

  /** The segment holding position {@code pos} (0 without segments). */
  public int segmentOf(long pos) {
    if (segmentStarts == null) {
      return 0;
    }
    int i = Arrays.binarySearch(segmentStarts, pos);
    return i >= 0 ? i : Math.max(0, -i - 2);
  }

  /** The first position of segment {@code i}. */
  public long segmentStart(int i) {
    return segmentStarts == null ? 0 : segmentStarts[i];
  }

  /** One past the last position of segment {@code i} (unbounded for the last segment). */
  public long segmentEnd(int i) {
    return segmentStarts == null || i + 1 >= segmentStarts.length
        ? UNBOUNDED
        : segmentStarts[i + 1];
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

  /**
   * The first key position of query {@code qPos}'s main interval (may be negative: clip to the
   * keys); with global tokens it may also see {@code [0, globalLastKey(qPos)]}.
   */
  public long firstKey(long qPos) {
    if (isGlobal(qPos)) {
      return Long.MIN_VALUE / 4; // a global query: no window
    }
    long first;
    switch (kind) {
      case WINDOW:
      case CAUSAL_WINDOW:
        first = qPos - window;
        break;
      default:
        first = Long.MIN_VALUE / 4;
    }
    return segmentStarts == null ? first : Math.max(first, segmentStart(segmentOf(qPos)));
  }

  /**
   * The last key position of query {@code qPos}'s main interval (may exceed the keys: clip to
   * them); see {@link #firstKey}.
   */
  public long lastKey(long qPos) {
    if (isGlobal(qPos)) {
      return isCausal() ? qPos : UNBOUNDED; // a global query: no window
    }
    long last;
    switch (kind) {
      case CAUSAL:
      case CAUSAL_WINDOW:
        last = qPos;
        break;
      case WINDOW:
        last = qPos + window;
        break;
      default:
        last = UNBOUNDED;
    }
    return segmentStarts == null ? last : Math.min(last, segmentEnd(segmentOf(qPos)) - 1);
  }

  /**
   * The last of the global keys {@code [0, globalLastKey(qPos)]} query {@code qPos} sees besides
   * its main interval: {@code n − 1} for a non-global query of a mask with {@code n} global tokens
   * ({@code min(n − 1, qPos)} if causal, which is {@code n − 1} for every position {@code >= n}),
   * else −1 (none; a global query's main interval holds them).
   */
  public long globalLastKey(long qPos) {
    if (globalTokens == 0 || isGlobal(qPos)) {
      return -1;
    }
    return isCausal() ? Math.min(globalTokens - 1, qPos) : globalTokens - 1;
  }

  /** Whether query {@code qPos} may attend to key {@code kPos} (positions ≥ 0). */
  public boolean allows(long qPos, long kPos) {
    return (kPos >= firstKey(qPos) && kPos <= lastKey(qPos))
        || (kPos >= 0 && kPos <= globalLastKey(qPos));
  }

  /**
   * Whether any query in positions {@code [q0, q1]} may see any key in {@code [k0, k1]} (used to
   * skip block pairs that are wholly masked, such as blocks above the causal diagonal).
   */
  public boolean anyAllowed(long q0, long q1, long k0, long k1) {
    if (q0 > q1 || k0 > k1) {
      return false;
    }
    if (globalTokens > 0) {
      if (withoutGlobalTokens().anyAllowed(q0, q1, k0, k1)) {
        return true;
      }
      // global queries see every key (causal: those at or before them)
      long g0 = Math.max(q0, 0);
      long g1 = Math.min(q1, globalTokens - 1);
      if (g0 <= g1 && (!isCausal() || k0 <= g1)) {
        return true;
      }
      // every query sees the global keys (causal: those at or before it)
      long h0 = Math.max(k0, 0);
      long h1 = Math.min(k1, globalTokens - 1);
      return h0 <= h1 && (!isCausal() || h0 <= q1);
    }
    if (segmentStarts != null) {
      // a query sees keys of its own segment only: ask the whole-sequence mask segment by segment
      Mask whole = withoutSegments();
      for (int i = segmentOf(q0), last = segmentOf(q1); i <= last; i++) {
        long lo = segmentStart(i);
        long hi = segmentEnd(i) - 1;
        if (whole.anyAllowed(
            Math.max(q0, lo), Math.min(q1, hi), Math.max(k0, lo), Math.min(k1, hi))) {
          return true;
        }
      }
      return false;
    }
    // Both bounds are non-decreasing in q and lastKey(q) = q + c (or unbounded): the first query
    // that reaches k0 is max(q0, k0 - c); later queries only move further from k0's side.
    long q = lastKey(q0) >= k0 ? q0 : k0 - lastKey(0);
    return q <= q1 && firstKey(q) <= k1;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Mask
        && ((Mask) o).kind == kind
        && ((Mask) o).window == window
        && ((Mask) o).globalTokens == globalTokens
        && Arrays.equals(((Mask) o).segmentStarts, segmentStarts);
  }

  @Override
  public int hashCode() {
    return ((kind.hashCode() * 31 + window) * 31 + Arrays.hashCode(segmentStarts)) * 31
        + globalTokens;
  }

  @Override
  public String toString() {
    String s = globalTokens == 0 ? kindString() : kindString() + " + " + globalTokens + " global";
    return segmentStarts == null ? s : s + " in " + segmentStarts.length + " segments";
  }

  private String kindString() {
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
