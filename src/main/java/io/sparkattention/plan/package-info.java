/**
 * How sequences are cut for distributed attention (pure Java, no Spark): {@link
 * io.sparkattention.plan.AttentionPlan} turns sequence lengths and {@link
 * io.sparkattention.plan.PlanOptions} (a strategy, a mask, a block size, a head count, tile sizes)
 * into {@link io.sparkattention.plan.TileTask tile tasks} (a query range × a key range × a head
 * group), routes every token to the tasks that need it, and balances the tasks over partitions.
 * {@link io.sparkattention.plan.SequenceIndex} numbers a table's sequence ids as the plan does. The
 * Spark layer only carries the plan out.
 */
package io.sparkattention.plan;
