/**
 * The analytic cost model (pure Java, no Spark): FLOPs, bytes shuffled and memory per task of an
 * {@link io.sparkattention.plan.AttentionPlan}, a calibrated time model, and the report writers
 * (CSV, Markdown, PNG charts).
 */
package io.sparkattention.cost;
