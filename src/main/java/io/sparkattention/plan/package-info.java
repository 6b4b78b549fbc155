/**
 * How sequences are cut for distributed attention (pure Java, no Spark): {@link
 * io.sparkattention.plan.AttentionPlan} turns sequence lengths, a strategy, a mask, a block size
 * and a head count into {@link io.sparkattention.plan.TileTask tile tasks} (a query range × a key
 * range × a head group), routes every token to the tasks that need it, and balances the tasks over
 * partitions. The Spark layer only carries the plan out.
 */
package io.sparkattention.plan;
