package io.sparkattention.kernel;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Objects;

/**
 * Which keys a query may attend to, stated on absolute positions so that a block of queries or keys
 * knows where it sits in the whole sequence. Every mask here allows one contiguous interval of key
 * positions per query, {@code [firstKey(q), lastKey(q)]}, and with global tokens a second one,
 * whose global positions it sees: {@code [globalFirstKey(q), globalLastKey(q)]}.
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
 * <p>{@link #withGlobalPositions withGlobalPositions(G)} adds Longformer's global tokens at the
 * positions of the set G ({@link #withGlobalTokens withGlobalTokens(n)}: the first n, {@code 0 …
 * n−1}): {@code allowed(q, k) = base(q, k) || ((q ∈ G || k ∈ G) && (k <= q || !causal))}. A global
 * query sees every key (with a causal mask every key at or before it); every query sees the global
 * keys (with a causal mask those at or before it, so causality always holds). A non-global query
 * then sees its base interval {@code [firstKey(q), lastKey(q)]} and the global keys {@code G ∩ [0,
 * globalLastKey(q)]}. G is held as runs of consecutive positions (the first n: one run).
 *
 * <p>Both together (packed documents with global tokens): a query sees only keys of its own
 * segment, so every rule above holds clipped to the segment: {@code allowed(q, k) = seg(q) ==
 * seg(k) && (base(q, k) || ((q ∈ G || k ∈ G) && (k <= q || !causal)))}. A global query sees its
 * whole segment (causal: up to itself); a non-global query the global keys {@code G ∩
 * [globalFirstKey(q), globalLastKey(q)]}, the first being its segment's start.
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

  /** The global tokens; null: none. */
  private final GlobalTokens globals;

  private Mask(Kind kind, int window) {
    this(kind, window, null, null);
  }

  private Mask(Kind kind, int window, long[] segmentStarts, GlobalTokens globals) {
    this.kind = kind;
    this.window = window;
    this.segmentStarts = segmentStarts;
    this.globals = globals;
  }

  /**
   * This mask with global tokens at positions {@code 0 … n−1} of each sequence (Longformer,
   * BigBird): they see every key and every query sees them, causality kept (see the class comment);
   * {@code n = 0} removes them. The same as {@link #withGlobalPositions} of {@code 0 … n−1}.
   *
   * @throws IllegalArgumentException if {@code n < 0}
   */
  public Mask withGlobalTokens(int n) {
    return withGlobals(GlobalTokens.firstN(n));
  }

  /**
   * This mask with global tokens at {@code positions} (a global-token column's true rows): they see
   * every key and every query sees them, causality kept (see the class comment); an empty array
   * removes them.
   *
   * @param positions strictly increasing positions, each ≥ 0
   * @throws IllegalArgumentException if the positions are negative or do not increase
   */
  public Mask withGlobalPositions(long[] positions) {
    return withGlobals(GlobalTokens.of(positions));
  }

  private Mask withGlobals(GlobalTokens g) {
    return Objects.equals(g, globals) ? this : new Mask(kind, window, segmentStarts, g);
  }

  /** Whether the mask has global tokens. */
  public boolean hasGlobalTokens() {
    return globals != null;
  }

  /** The global tokens, or null if there are none. */
  public GlobalTokens globals() {
    return globals;
  }

  /** The number of global tokens (0: none). */
  public long globalTokens() {
    return globals == null ? 0 : globals.count();
  }

  /** Whether the query or key at {@code pos} is a global token. */
  public boolean isGlobal(long pos) {
    return globals != null && globals.contains(pos);
  }

  /** This mask without its global tokens: the base mask of the class comment. */
  public Mask withoutGlobalTokens() {
    return withGlobals(null);
  }

  /** Whether the mask is causal (with or without a window). */
  public boolean isCausal() {
    return kind == Kind.CAUSAL || kind == Kind.CAUSAL_WINDOW;
  }

  /**
   * This mask within segments: query {@code q} sees only the keys of its own segment, the segments
   * being {@code [starts[i], starts[i+1])} and {@code [starts[last], ∞)} (packed documents). With
   * one segment (starts {@code {0}}) the mask is unchanged. Global tokens, if any, stay: they see
   * and are seen within their own segment only.
   *
   * @param starts the first position of each segment: 0 first, then strictly increasing
   * @throws IllegalArgumentException if the starts are empty, do not begin at 0 or do not increase
   */
  public Mask withSegments(long[] starts) {
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
    return new Mask(kind, window, starts.length == 1 ? null : starts.clone(), globals);
  }

  /** This mask made causal: keys at or before the query, within its window if it has one. */
  public Mask causalToo() {
    boolean windowed = kind == Kind.WINDOW || kind == Kind.CAUSAL_WINDOW;
    return (windowed ? causalWindow(window) : causal()).withGlobals(globals);
  }

  /**
   * This mask with window {@code window}: {@code |q - k| <= window}, or {@code q - window <= k <=
   * q} if it is causal.
   *
   * @throws IllegalArgumentException if {@code window < 0}
   */
  public Mask withWindow(int window) {
    return (isCausal() ? causalWindow(window) : window(window)).withGlobals(globals);
  }

  /** This mask without its window (causal stays causal), keeping its global tokens. */
  public Mask withoutWindow() {
    return (isCausal() ? causal() : none()).withGlobals(globals);
  }

  /** This mask over the whole sequence (without its segments). */
  public Mask withoutSegments() {
    return segmentStarts == null ? this : new Mask(kind, window, null, globals);
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
   * keys); with global tokens it may also see {@code G ∩ [globalFirstKey(qPos),
   * globalLastKey(qPos)]}. Within its segment if the mask has segments.
   */
  public long firstKey(long qPos) {
    long first;
    if (isGlobal(qPos)) {
      first = Long.MIN_VALUE / 4; // a global query: no window
    } else {
      switch (kind) {
        case WINDOW:
        case CAUSAL_WINDOW:
          first = qPos - window;
          break;
        default:
          first = Long.MIN_VALUE / 4;
      }
    }
    return segmentStarts == null ? first : Math.max(first, segmentStart(segmentOf(qPos)));
  }

  /**
   * The last key position of query {@code qPos}'s main interval (may exceed the keys: clip to
   * them); see {@link #firstKey}.
   */
  public long lastKey(long qPos) {
    long last;
    if (isGlobal(qPos)) {
      last = isCausal() ? qPos : UNBOUNDED; // a global query: no window
    } else {
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
    }
    return segmentStarts == null ? last : Math.min(last, segmentEnd(segmentOf(qPos)) - 1);
  }

  /**
   * The first position of the range whose global keys query {@code qPos} sees besides its main
   * interval ({@link #globalLastKey}): the start of its segment (0 without segments).
   */
  public long globalFirstKey(long qPos) {
    return segmentStarts == null ? 0 : segmentStart(segmentOf(qPos));
  }

  /**
   * The last of the global keys {@code G ∩ [globalFirstKey(qPos), globalLastKey(qPos)]} query
   * {@code qPos} sees besides its main interval: the last global position of its segment for a
   * non-global query (if causal the last one at or before it), else −1 (none; a global query's main
   * interval holds them; also −1 when its segment has no such global position). With the first n
   * positions global and no segments: {@code n − 1}, or {@code min(n − 1, qPos)} if causal.
   */
  public long globalLastKey(long qPos) {
    if (globals == null || isGlobal(qPos)) {
      return -1;
    }
    long last;
    if (isCausal()) {
      last = globals.previous(qPos);
    } else if (segmentStarts == null) {
      last = globals.last();
    } else {
      last = globals.previous(segmentEnd(segmentOf(qPos)) - 1);
    }
    return last >= globalFirstKey(qPos) ? last : -1;
  }

  /** Whether query {@code qPos} may attend to key {@code kPos} (positions ≥ 0). */
  public boolean allows(long qPos, long kPos) {
    return (kPos >= firstKey(qPos) && kPos <= lastKey(qPos))
        || (kPos >= globalFirstKey(qPos) && kPos <= globalLastKey(qPos) && isGlobal(kPos));
  }

  /**
   * Whether any query in positions {@code [q0, q1]} may see any key in {@code [k0, k1]} (used to
   * skip block pairs that are wholly masked, such as blocks above the causal diagonal).
   */
  public boolean anyAllowed(long q0, long q1, long k0, long k1) {
    if (q0 > q1 || k0 > k1) {
      return false;
    }
    if (segmentStarts != null) {
      // a query sees keys of its own segment only, and within a segment the whole-sequence mask
      // (global tokens kept) rules: ask it segment by segment
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
    if (globals != null) {
      if (withoutGlobalTokens().anyAllowed(q0, q1, k0, k1)) {
        return true;
      }
      // global queries see every key (causal: those at or before them)
      long g1 = globals.previous(q1);
      if (g1 >= Math.max(q0, 0) && (!isCausal() || k0 <= g1)) {
        return true;
      }
      // every query sees the global keys (causal: those at or before it)
      long h0 = globals.next(Math.max(k0, 0));
      return h0 >= 0 && h0 <= k1 && (!isCausal() || h0 <= q1);
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
        && Objects.equals(((Mask) o).globals, globals)
        && Arrays.equals(((Mask) o).segmentStarts, segmentStarts);
  }

  @Override
  public int hashCode() {
    return ((kind.hashCode() * 31 + window) * 31 + Arrays.hashCode(segmentStarts)) * 31
        + Objects.hashCode(globals);
  }

  @Override
  public String toString() {
    String s = globals == null ? kindString() : kindString() + " + " + globals;
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
