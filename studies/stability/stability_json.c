/* stability.json. Everything but the "run" object is a function of the seed, the preset, the kernels
 * and the machine: two runs with the same options give the same bytes there (tests compare them).
 * The head (run, machine, study, kernels) is built and written as json-c trees; the verdicts, thresholds
 * and cells (hundreds of thousands in a full sweep) are streamed, one record per line, each built,
 * written and released, with 9 significant digits. */
#include <inttypes.h>
#include <math.h>

#include "io/json_helpers.h"
#include "sinkbench/sinkbench.h"
#include "studies/stability/stability_report.h"

/* Significant digits of the streamed records' numbers: enough for every metric, and a third shorter. */
#define RECORD_DIGITS 9

/* A measured number: null when NaN (not measured), "inf" or "-inf" when infinite, else the number. */
static void add_measured(json_object *o, const char *key, double v, int digits)
{
    if (isinf(v))
        json_object_object_add(o, key, json_object_new_string(v > 0 ? "inf" : "-inf"));
    else
        json_object_object_add(o, key, sb_json_new_number(v, digits)); /* NaN: null */
}

static void add_string(json_object *o, const char *key, const char *s)
{
    json_object_object_add(o, key, sb_json_new_string(s));
}

static json_object *machine(const sb_stability_report *r)
{
    const sb_cpu_info *c = sb_cpu();
    char feats[256];
    sb_cpu_feature_string(c->features, feats, sizeof feats);
    const char *isa = sb_dispatch_isa();
    json_object *m = json_object_new_object();
    add_string(m, "host", r->host);
    add_string(m, "arch", c->arch);
    add_string(m, "vendor", c->vendor);
    add_string(m, "model", c->model);
    add_string(m, "features", feats);
    add_string(m, "dispatch_isa", isa ? isa : "none");
    add_string(m, "sinkbench_version", sb_version());
    add_string(m, "build", sb_build_info());
    return m;
}

static json_object *study(const sb_stability_report *r)
{
    const sb_stability_result *res = &r->result;
    size_t focus;
    const sb_softmax_kernel *fk = sb_stability_focus_kernel(res, &focus);
    json_object *st = json_object_new_object();
    add_string(st, "preset", res->preset == SB_STABILITY_FULL ? "full" : "quick");
    json_object_object_add(st, "seed", json_object_new_uint64(res->seed));
    json_object_object_add(st, "rows", json_object_new_uint64(res->rows));
    json_object_object_add(st, "cells", json_object_new_uint64(res->cell_count));
    add_string(st, "focus_kernel", fk ? fk->name : "");
    json_object_object_add(st, "value_scale", sb_json_new_number(res->value_scale, 0));
    add_string(st, "exact", "the softmax of the original binary32 logits (MPFR oracle), for every precision");
    json_object *precisions = json_object_new_array();
    for (int p = 0; p < SB_STABILITY_PREC_COUNT; p++) {
        json_object *e = json_object_new_object();
        add_string(e, "name", sb_stability_precision_name((sb_stability_precision)p));
        add_string(e, "input", sb_format_get(sb_stability_precision_input_format((sb_stability_precision)p))->name);
        add_string(e, "output", sb_format_get(sb_stability_precision_output_format((sb_stability_precision)p))->name);
        json_object_object_add(e, "runs_kernel", json_object_new_boolean(sb_stability_precision_runs_kernel((sb_stability_precision)p)));
        json_object_array_add(precisions, e);
    }
    json_object_object_add(st, "precisions", precisions);
    /* The thresholds of docs/numerics.md in the limit of a short tail (n' -> 0; sink-one at n' = 1). */
    json_object *theory = json_object_new_array();
    for (int f = 0; f < SB_FORMAT_COUNT; f++) {
        const sb_format_info *fi = sb_format_get((sb_format)f);
        json_object *e = json_object_new_object();
        add_string(e, "format", fi->name);
        json_object_object_add(e, "min_normal", sb_json_new_number(fi->min_normal, 0));
        json_object_object_add(e, "min_subnormal", sb_json_new_number(fi->min_subnormal, 0));
        for (int ev = 0; ev < SB_EVENT_COUNT; ev++)
            add_measured(e, sb_stability_event_name((sb_stability_event)ev),
                         sb_stability_theory_gap((sb_stability_event)ev, (sb_format)f, ev == SB_EVENT_SINK_ONE ? 1.0 : 0.0), 0);
        json_object_array_add(theory, e);
    }
    json_object_object_add(st, "theory", theory);
    return st;
}

static json_object *kernels(const sb_stability_result *res)
{
    json_object *list = json_object_new_array();
    for (size_t k = 0; k < res->kernel_count; k++) {
        const sb_softmax_kernel *kr = res->kernels[k];
        json_object *e = json_object_new_object();
        add_string(e, "name", kr->name);
        add_string(e, "isa", kr->isa);
        add_string(e, "algorithm", kr->algorithm);
        json_object_object_add(e, "ulp_bound", sb_json_new_number(kr->ulp_bound, 0));
        json_object_object_add(e, "contract", json_object_new_boolean(kr->ulp_bound >= 0));
        json_object_object_add(e, "emulated", json_object_new_boolean((kr->flags & SB_KERNEL_EMULATED) != 0));
        json_object_object_add(e, "plugin", json_object_new_boolean((kr->flags & SB_KERNEL_PLUGIN) != 0));
        json_object_object_add(e, "peer", json_object_new_boolean((kr->flags & SB_KERNEL_PEER) != 0));
        json_object_array_add(list, e);
    }
    return list;
}

static json_object *spec(const sb_row_spec *s)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "n", json_object_new_uint64(s->n));
    json_object_object_add(o, "gap", sb_json_new_number(s->gap, RECORD_DIGITS));
    add_string(o, "tail", sb_tail_name(s->tail));
    add_string(o, "place", sb_place_name(s->place));
    return o;
}

static void write_verdicts(sb_json_stream *js, const sb_stability_result *res)
{
    sb_json_stream_array_begin(js, "verdicts");
    for (size_t k = 0; k < res->kernel_count; k++)
        for (int p = 0; p < SB_STABILITY_PREC_COUNT; p++) {
            if (!sb_stability_precision_runs_kernel((sb_stability_precision)p))
                continue;
            const sb_stability_verdict *v = sb_stability_verdict_of(res, k, (sb_stability_precision)p);
            json_object *e = json_object_new_object();
            add_string(e, "kernel", res->kernels[k]->name);
            add_string(e, "precision", sb_stability_precision_name((sb_stability_precision)p));
            json_object_object_add(e, "cells", json_object_new_uint64(v->cells));
            json_object_object_add(e, "failures", json_object_new_uint64(v->failures));
            add_measured(e, "max_ulp", v->max_ulp, RECORD_DIGITS);
            add_measured(e, "max_resid_bound_ratio", p == SB_STABILITY_PREC_F32 ? v->max_resid_ratio : NAN, RECORD_DIGITS);
            if (v->first != SIZE_MAX) {
                const sb_stability_cell *c = &res->cells[v->first];
                json_object *first = json_object_new_object();
                json_object_object_add(first, "spec", spec(&c->spec));
                json_object_object_add(first, "seed", json_object_new_uint64(c->seed));
                add_string(first, "message", v->message);
                json_object_object_add(e, "first_failure", first);
            }
            sb_json_stream_record(js, e);
        }
    sb_json_stream_array_end(js);
}

static void write_thresholds(sb_json_stream *js, const sb_stability_report *r)
{
    sb_json_stream_array_begin(js, "thresholds");
    for (size_t i = 0; i < r->threshold_count; i++) {
        const sb_stability_threshold *t = &r->thresholds[i];
        json_object *e = json_object_new_object();
        add_string(e, "kernel", r->result.kernels[t->kernel]->name);
        add_string(e, "precision", sb_stability_precision_name((sb_stability_precision)t->precision));
        add_string(e, "event", sb_stability_event_name((sb_stability_event)t->event));
        add_string(e, "block", sb_stability_block_name((sb_stability_block)t->block));
        add_string(e, "place", sb_place_name(t->place));
        json_object_object_add(e, "n", json_object_new_uint64(t->n));
        add_measured(e, "theory", t->theory, RECORD_DIGITS);
        add_measured(e, "observed", t->observed, RECORD_DIGITS);
        add_measured(e, "previous", t->previous, RECORD_DIGITS);
        json_object_object_add(e, "monotone", json_object_new_boolean(t->monotone));
        json_object_object_add(e, "agrees", json_object_new_boolean(t->agrees));
        sb_json_stream_record(js, e);
    }
    sb_json_stream_array_end(js);
}

static json_object *cell(const sb_stability_report *r, const sb_stability_cell *c)
{
    const sb_softmax_kernel *k = r->result.kernels[c->kernel];
    const sb_stability_metrics *m = &c->m;
    const int d = RECORD_DIGITS;
    json_object *e = json_object_new_object();
    add_string(e, "machine", r->host);
    add_string(e, "kernel", k->name);
    add_string(e, "isa", k->isa);
    add_string(e, "precision", sb_stability_precision_name((sb_stability_precision)c->precision));
    add_string(e, "block", sb_stability_block_name((sb_stability_block)c->block));
    json_object_object_add(e, "spec", spec(&c->spec));
    json_object_object_add(e, "seed", json_object_new_uint64(c->seed));
    add_measured(e, "p_sink", c->p_sink, d);
    add_measured(e, "residual", c->residual, d);
    json_object *contract = NULL; /* null: not checked */
    if (c->contract_checked) {
        contract = json_object_new_object();
        json_object_object_add(contract, "ok", json_object_new_boolean(c->contract_ok));
        add_measured(contract, "max_ulp", c->kernel_max_ulp, d);
        add_string(contract, "violation", sb_violation_name((sb_violation)c->violation));
    }
    json_object_object_add(e, "contract", contract);
    json_object *mo = json_object_new_object();
    add_measured(mo, "max_ulp", m->max_ulp, d);
    add_measured(mo, "mean_ulp", m->mean_ulp, d);
    add_measured(mo, "sink_rel_err", m->sink_rel_err, d);
    add_measured(mo, "resid_tail_rel_err", m->resid_tail_rel_err, d);
    add_measured(mo, "resid_1m_rel_err", m->resid_1m_rel_err, d);
    add_measured(mo, "resid_bound_ratio", m->resid_bound_ratio, d);
    add_measured(mo, "sum_err", m->sum_err, d);
    add_measured(mo, "p_sink_stored", m->p_sink_stored, d);
    add_measured(mo, "tail_max", m->tail_max, d);
    json_object_object_add(mo, "tail_count", json_object_new_uint64(m->tail_count));
    json_object_object_add(mo, "tail_zero", json_object_new_uint64(m->tail_zero));
    json_object_object_add(mo, "tail_subnormal", json_object_new_uint64(m->tail_subnormal));
    json_object_object_add(mo, "tail_zero_expected", json_object_new_uint64(m->tail_zero_expected));
    json_object_object_add(mo, "tail_subnormal_expected", json_object_new_uint64(m->tail_subnormal_expected));
    json_object_object_add(mo, "tail_early_flush", json_object_new_uint64(m->tail_early_flush));
    json_object_object_add(mo, "nonfinite", json_object_new_uint64(m->nonfinite));
    add_measured(mo, "attn_err", m->attn_err, d);
    add_measured(mo, "attn_sink_err", m->attn_sink_err, d);
    add_measured(mo, "attn_tail_err", m->attn_tail_err, d);
    json_object_object_add(e, "metrics", mo);
    return e;
}

void sb_stability_write_json(FILE *f, const sb_stability_report *r)
{
    sb_json_stream js;
    sb_json_stream_begin(&js, f);
    sb_json_stream_member(&js, "format", json_object_new_string("sinkbench-stability/1"));
    json_object *run = json_object_new_object();
    add_string(run, "started", r->started);
    json_object_object_add(run, "sweep_seconds", sb_json_new_number(r->seconds, 0));
    add_string(run, "command", r->command);
    sb_json_stream_member(&js, "run", run);
    sb_json_stream_member(&js, "machine", machine(r));
    sb_json_stream_member(&js, "study", study(r));
    sb_json_stream_member(&js, "kernels", kernels(&r->result));
    write_verdicts(&js, &r->result);
    write_thresholds(&js, r);
    sb_json_stream_array_begin(&js, "cells");
    for (size_t i = 0; i < r->result.cell_count; i++)
        sb_json_stream_record(&js, cell(r, &r->result.cells[i]));
    sb_json_stream_array_end(&js);
    sb_json_stream_end(&js);
}
