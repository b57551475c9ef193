/* stability.json. Everything but the "run" object is a function of the seed, the preset, the kernels
 * and the machine: two runs with the same options give the same bytes there (tests compare them). */
#include <inttypes.h>
#include <math.h>

#include "io/json.h"
#include "sinkbench/sinkbench.h"
#include "studies/stability/stability_report.h"

static void kv_number_or_null(sb_json *j, const char *key, double v)
{
    sb_json_key(j, key);
    if (isnan(v))
        sb_json_null(j);
    else if (isinf(v))
        sb_json_string(j, v > 0 ? "inf" : "-inf");
    else
        sb_json_number(j, v);
}

static void write_machine(sb_json *j, const sb_stability_report *r)
{
    const sb_cpu_info *c = sb_cpu();
    char feats[256];
    sb_cpu_feature_string(c->features, feats, sizeof feats);
    const char *isa = sb_dispatch_isa();
    sb_json_key(j, "machine");
    sb_json_object_begin(j);
    sb_json_kv_string(j, "host", r->host);
    sb_json_kv_string(j, "arch", c->arch);
    sb_json_kv_string(j, "vendor", c->vendor);
    sb_json_kv_string(j, "model", c->model);
    sb_json_kv_string(j, "features", feats);
    sb_json_kv_string(j, "dispatch_isa", isa ? isa : "none");
    sb_json_kv_string(j, "sinkbench_version", sb_version());
    sb_json_kv_string(j, "build", sb_build_info());
    sb_json_object_end(j);
}

static void write_study(sb_json *j, const sb_stability_report *r)
{
    const sb_stability_result *res = &r->result;
    size_t focus;
    const sb_softmax_kernel *fk = sb_stability_focus_kernel(res, &focus);
    sb_json_key(j, "study");
    sb_json_object_begin(j);
    sb_json_kv_string(j, "preset", res->preset == SB_STABILITY_FULL ? "full" : "quick");
    sb_json_kv_uint(j, "seed", res->seed);
    sb_json_kv_uint(j, "rows", res->rows);
    sb_json_kv_uint(j, "cells", res->cell_count);
    sb_json_kv_string(j, "focus_kernel", fk ? fk->name : "");
    sb_json_kv_number(j, "value_scale", res->value_scale);
    sb_json_kv_string(j, "exact", "the softmax of the original binary32 logits (MPFR oracle), for every precision");
    sb_json_key(j, "precisions");
    sb_json_array_begin(j);
    for (int p = 0; p < SB_STABILITY_PREC_COUNT; p++) {
        sb_json_object_begin(j);
        sb_json_kv_string(j, "name", sb_stability_precision_name((sb_stability_precision)p));
        sb_json_kv_string(j, "input", sb_format_get(sb_stability_precision_input_format((sb_stability_precision)p))->name);
        sb_json_kv_string(j, "output", sb_format_get(sb_stability_precision_output_format((sb_stability_precision)p))->name);
        sb_json_kv_bool(j, "runs_kernel", sb_stability_precision_runs_kernel((sb_stability_precision)p));
        sb_json_object_end(j);
    }
    sb_json_array_end(j);
    /* The thresholds of docs/numerics.md in the limit of a short tail (n' -> 0; sink-one at n' = 1). */
    sb_json_key(j, "theory");
    sb_json_array_begin(j);
    for (int f = 0; f < SB_FORMAT_COUNT; f++) {
        const sb_format_info *fi = sb_format_get((sb_format)f);
        sb_json_object_begin(j);
        sb_json_kv_string(j, "format", fi->name);
        sb_json_kv_number(j, "min_normal", fi->min_normal);
        sb_json_kv_number(j, "min_subnormal", fi->min_subnormal);
        for (int e = 0; e < SB_EVENT_COUNT; e++)
            kv_number_or_null(j, sb_stability_event_name((sb_stability_event)e),
                              sb_stability_theory_gap((sb_stability_event)e, (sb_format)f, e == SB_EVENT_SINK_ONE ? 1.0 : 0.0));
        sb_json_object_end(j);
    }
    sb_json_array_end(j);
    sb_json_object_end(j);
}

static void write_kernels(sb_json *j, const sb_stability_result *res)
{
    sb_json_key(j, "kernels");
    sb_json_array_begin(j);
    for (size_t k = 0; k < res->kernel_count; k++) {
        const sb_softmax_kernel *kr = res->kernels[k];
        sb_json_object_begin(j);
        sb_json_kv_string(j, "name", kr->name);
        sb_json_kv_string(j, "isa", kr->isa);
        sb_json_kv_string(j, "algorithm", kr->algorithm);
        sb_json_kv_number(j, "ulp_bound", kr->ulp_bound);
        sb_json_kv_bool(j, "contract", kr->ulp_bound >= 0);
        sb_json_kv_bool(j, "emulated", (kr->flags & SB_KERNEL_EMULATED) != 0);
        sb_json_kv_bool(j, "plugin", (kr->flags & SB_KERNEL_PLUGIN) != 0);
        sb_json_kv_bool(j, "peer", (kr->flags & SB_KERNEL_PEER) != 0);
        sb_json_object_end(j);
    }
    sb_json_array_end(j);
}

static void write_spec(sb_json *j, const sb_row_spec *s)
{
    sb_json_key(j, "spec");
    sb_json_object_begin(j);
    sb_json_kv_uint(j, "n", s->n);
    sb_json_kv_number(j, "gap", s->gap);
    sb_json_kv_string(j, "tail", sb_tail_name(s->tail));
    sb_json_kv_string(j, "place", sb_place_name(s->place));
    sb_json_object_end(j);
}

static void write_verdicts(sb_json *j, const sb_stability_result *res)
{
    sb_json_key(j, "verdicts");
    sb_json_array_begin(j);
    for (size_t k = 0; k < res->kernel_count; k++)
        for (int p = 0; p < SB_STABILITY_PREC_COUNT; p++) {
            if (!sb_stability_precision_runs_kernel((sb_stability_precision)p))
                continue;
            const sb_stability_verdict *v = sb_stability_verdict_of(res, k, (sb_stability_precision)p);
            sb_json_object_begin(j);
            sb_json_kv_string(j, "kernel", res->kernels[k]->name);
            sb_json_kv_string(j, "precision", sb_stability_precision_name((sb_stability_precision)p));
            sb_json_kv_uint(j, "cells", v->cells);
            sb_json_kv_uint(j, "failures", v->failures);
            kv_number_or_null(j, "max_ulp", v->max_ulp);
            kv_number_or_null(j, "max_resid_bound_ratio", p == SB_STABILITY_PREC_F32 ? v->max_resid_ratio : NAN);
            if (v->first != SIZE_MAX) {
                const sb_stability_cell *c = &res->cells[v->first];
                sb_json_key(j, "first_failure");
                sb_json_object_begin(j);
                write_spec(j, &c->spec);
                sb_json_kv_uint(j, "seed", c->seed);
                sb_json_kv_string(j, "message", v->message);
                sb_json_object_end(j);
            }
            sb_json_object_end(j);
        }
    sb_json_array_end(j);
}

static void write_thresholds(sb_json *j, const sb_stability_report *r)
{
    sb_json_key(j, "thresholds");
    sb_json_array_begin(j);
    for (size_t i = 0; i < r->threshold_count; i++) {
        const sb_stability_threshold *t = &r->thresholds[i];
        sb_json_object_begin(j);
        sb_json_kv_string(j, "kernel", r->result.kernels[t->kernel]->name);
        sb_json_kv_string(j, "precision", sb_stability_precision_name((sb_stability_precision)t->precision));
        sb_json_kv_string(j, "event", sb_stability_event_name((sb_stability_event)t->event));
        sb_json_kv_string(j, "block", sb_stability_block_name((sb_stability_block)t->block));
        sb_json_kv_string(j, "place", sb_place_name(t->place));
        sb_json_kv_uint(j, "n", t->n);
        kv_number_or_null(j, "theory", t->theory);
        kv_number_or_null(j, "observed", t->observed);
        kv_number_or_null(j, "previous", t->previous);
        sb_json_kv_bool(j, "monotone", t->monotone);
        sb_json_kv_bool(j, "agrees", t->agrees);
        sb_json_object_end(j);
    }
    sb_json_array_end(j);
}

static void write_cell(sb_json *j, const sb_stability_report *r, const sb_stability_cell *c)
{
    const sb_softmax_kernel *k = r->result.kernels[c->kernel];
    const sb_stability_metrics *m = &c->m;
    sb_json_object_begin(j);
    sb_json_kv_string(j, "machine", r->host);
    sb_json_kv_string(j, "kernel", k->name);
    sb_json_kv_string(j, "isa", k->isa);
    sb_json_kv_string(j, "precision", sb_stability_precision_name((sb_stability_precision)c->precision));
    sb_json_kv_string(j, "block", sb_stability_block_name((sb_stability_block)c->block));
    write_spec(j, &c->spec);
    sb_json_kv_uint(j, "seed", c->seed);
    kv_number_or_null(j, "p_sink", c->p_sink);
    kv_number_or_null(j, "residual", c->residual);
    sb_json_key(j, "contract");
    if (c->contract_checked) {
        sb_json_object_begin(j);
        sb_json_kv_bool(j, "ok", c->contract_ok);
        kv_number_or_null(j, "max_ulp", c->kernel_max_ulp);
        sb_json_kv_string(j, "violation", sb_violation_name((sb_violation)c->violation));
        sb_json_object_end(j);
    } else {
        sb_json_null(j);
    }
    sb_json_key(j, "metrics");
    sb_json_object_begin(j);
    kv_number_or_null(j, "max_ulp", m->max_ulp);
    kv_number_or_null(j, "mean_ulp", m->mean_ulp);
    kv_number_or_null(j, "sink_rel_err", m->sink_rel_err);
    kv_number_or_null(j, "resid_tail_rel_err", m->resid_tail_rel_err);
    kv_number_or_null(j, "resid_1m_rel_err", m->resid_1m_rel_err);
    kv_number_or_null(j, "resid_bound_ratio", m->resid_bound_ratio);
    kv_number_or_null(j, "sum_err", m->sum_err);
    kv_number_or_null(j, "p_sink_stored", m->p_sink_stored);
    kv_number_or_null(j, "tail_max", m->tail_max);
    sb_json_kv_uint(j, "tail_count", m->tail_count);
    sb_json_kv_uint(j, "tail_zero", m->tail_zero);
    sb_json_kv_uint(j, "tail_subnormal", m->tail_subnormal);
    sb_json_kv_uint(j, "tail_zero_expected", m->tail_zero_expected);
    sb_json_kv_uint(j, "tail_subnormal_expected", m->tail_subnormal_expected);
    sb_json_kv_uint(j, "tail_early_flush", m->tail_early_flush);
    sb_json_kv_uint(j, "nonfinite", m->nonfinite);
    kv_number_or_null(j, "attn_err", m->attn_err);
    kv_number_or_null(j, "attn_sink_err", m->attn_sink_err);
    kv_number_or_null(j, "attn_tail_err", m->attn_tail_err);
    sb_json_object_end(j);
    sb_json_object_end(j);
}

void sb_stability_write_json(FILE *f, const sb_stability_report *r)
{
    sb_json j;
    sb_json_init(&j, f);
    sb_json_object_begin(&j);
    sb_json_kv_string(&j, "format", "sinkbench-stability/1");
    sb_json_key(&j, "run");
    sb_json_object_begin(&j);
    sb_json_kv_string(&j, "started", r->started);
    sb_json_kv_number(&j, "sweep_seconds", r->seconds);
    sb_json_kv_string(&j, "command", r->command);
    sb_json_object_end(&j);
    write_machine(&j, r);
    write_study(&j, r);
    write_kernels(&j, &r->result);
    /* One record per line from here on, 9 significant digits: the cells of a full sweep run to hundreds
     * of thousands. */
    sb_json_set_inline_depth(&j, 2);
    sb_json_set_digits(&j, 9);
    write_verdicts(&j, &r->result);
    write_thresholds(&j, r);
    sb_json_key(&j, "cells");
    sb_json_array_begin(&j);
    for (size_t i = 0; i < r->result.cell_count; i++)
        write_cell(&j, r, &r->result.cells[i]);
    sb_json_array_end(&j);
    sb_json_object_end(&j);
}
