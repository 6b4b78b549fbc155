package io.sparkattention.spark.cost;

import io.sparkattention.kernel.Mask;
import io.sparkattention.plan.Strategy;
import java.util.ArrayList;
import java.util.List;

/**
 * One configuration: a name, a mask and a strategy, the pyramid levels before attention (0: none),
 * and the key/value heads (0: no projections; else seeded random projection weights with that many
 * key/value heads). The mask may hold global tokens ({@code local-window-gN}).
 */
record Config(
    String name, String attention, Mask mask, Strategy strategy, int pyramidLevels, int kvHeads) {
  Config(String name, String attention, Mask mask, Strategy strategy) {
    this(name, attention, mask, strategy, 0, 0);
  }

  /** This configuration with projections and {@code g} key/value heads, named {@code name}. */
  Config withKvHeads(String name, int g) {
    return new Config(name, attention, mask, strategy, pyramidLevels, g);
  }

  /** What a configuration's name ends with for {@code N} global tokens: {@code -gN}. */
  static final String GLOBAL_SUFFIX = "-g";

  /** The applicable configurations, in report order. */
  static List<Config> all(SweepSettings s) {
    List<Config> c = new ArrayList<>();
    if (s.strategies().contains(Strategy.BLOCKS)) {
      c.add(new Config("global-blocks", "global", Mask.none(), Strategy.BLOCKS));
      c.add(new Config("causal-blocks", "causal", Mask.causal(), Strategy.BLOCKS));
    }
    if (s.strategies().contains(Strategy.WINDOW)) {
      c.add(new Config("local-window", "local", Mask.window(s.window()), Strategy.WINDOW));
      if (s.globalTokens() > 0) {
        // Longformer: the same window with the first N positions global (attend to and seen by all)
        c.add(
            new Config(
                "local-window" + GLOBAL_SUFFIX + s.globalTokens(),
                "local",
                Mask.window(s.window()).withGlobalTokens(s.globalTokens()),
                Strategy.WINDOW));
      }
    }
    if (s.strategies().contains(Strategy.HEADS) && s.numHeads() > 1) {
      c.add(new Config("global-heads", "global", Mask.none(), Strategy.HEADS));
    }
    if (s.strategies().contains(Strategy.SINGLE)) {
      c.add(new Config("global-single", "global", Mask.none(), Strategy.SINGLE));
    }
    if (s.strategies().contains(Strategy.BLOCKS) && s.pyramidLevels() > 0) {
      c.add(
          new Config(
              "global-pyramid-L" + s.pyramidLevels(),
              "global",
              Mask.none(),
              Strategy.BLOCKS,
              s.pyramidLevels(),
              0));
    }
    if (s.kvHeads() == 0) {
      return c;
    }
    // Grouped-query against multi-head: each configuration (but the pyramid, whose attention runs
    // over wider top-level steps) twice with projections, H and then G key/value heads.
    List<Config> paired = new ArrayList<>();
    for (Config x : c) {
      if (x.pyramidLevels() > 0) {
        paired.add(x);
      } else {
        paired.add(x.withKvHeads(x.name(), s.numHeads()));
        paired.add(x.withKvHeads(x.name() + "-gqa" + s.kvHeads(), s.kvHeads()));
      }
    }
    return paired;
  }
}
