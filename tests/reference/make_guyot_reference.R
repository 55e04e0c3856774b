#!/usr/bin/env Rscript
# Round-trip references for thyroid_evidence.survival.reconstruct_km (Guyot et al. 2012), from
# real individual data in R's `survival` package.
#
# Run from the project root:  Rscript tests/reference/make_guyot_reference.R
# Writes tests/reference/guyot_reference.json. For every arm it stores the individual data,
# the Kaplan-Meier step corners (survfit), a printed-style risk table and the total events;
# for every two-arm data set, the Cox log hazard ratio (coxph, Efron ties). The Python tests
# and benchmarks/bench_guyot.py rebuild each arm from its corners and risk table and compare
# with these values; they need neither R nor the R data sets.
#
#   km         survfit(Surv(time, status) ~ 1): time, surv (one row per distinct time)
#   risk       summary(survfit, times = 8 equally spaced times from 0, extend = TRUE)$n.risk
#   log_hr     coef(coxph(Surv(time, status) ~ arm)) with arm = 0/1 as stored
suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
})

arm_block <- function(time, status) {
  fit <- survfit(Surv(time, status) ~ 1)
  risk_times <- seq(0, max(time), length.out = 9)[1:8]
  risk <- summary(fit, times = risk_times, extend = TRUE)
  list(
    n = length(time),
    events = sum(status),
    data = list(time = time, status = status),
    km = list(time = fit$time, survival = fit$surv, n_risk = fit$n.risk,
              n_event = fit$n.event),
    risk = list(time = risk_times, n_risk = risk$n.risk)
  )
}

two_arms <- function(time, status, arm, note) {
  time <- as.numeric(time)
  status <- as.integer(status)
  arm <- as.integer(arm)
  ok <- !is.na(time) & !is.na(status) & !is.na(arm)
  time <- time[ok]; status <- status[ok]; arm <- arm[ok]
  cox <- coxph(Surv(time, status) ~ arm, ties = "efron")
  list(
    note = note,
    log_hr = unname(coef(cox)),
    arms = list(arm_block(time[arm == 0], status[arm == 0]),
                arm_block(time[arm == 1], status[arm == 1]))
  )
}

col <- colon[colon$etype == 2 & colon$rx != "Lev", ]
ref <- list(
  generated_by = "tests/reference/make_guyot_reference.R",
  r_version = R.version.string,
  survival_version = as.character(packageVersion("survival")),
  datasets = list(
    lung = two_arms(lung$time, lung$status == 2, lung$sex == 2,
                    "lung: days, death; arm 0 male (138), arm 1 female (90)"),
    veteran = two_arms(veteran$time, veteran$status, veteran$trt == 2,
                       "veteran: days, death; arm 0 standard, arm 1 test"),
    colon = two_arms(col$time, col$status, col$rx == "Lev+5FU",
                     "colon (etype 2, death): days; arm 0 Obs, arm 1 Lev+5FU"),
    gbsg = two_arms(gbsg$rfstime, gbsg$status, gbsg$hormon == 1,
                    "gbsg: days, recurrence or death; arm 0 no hormone therapy, arm 1 hormone"),
    pbc = two_arms(pbc$time[!is.na(pbc$trt)], pbc$status[!is.na(pbc$trt)] == 2,
                   pbc$trt[!is.na(pbc$trt)] == 2,
                   "pbc (randomised 312): days, death; arm 0 D-penicillamine, arm 1 placebo"),
    aml = two_arms(aml$time, aml$status, aml$x == "Nonmaintained",
                   "aml: weeks, relapse; arm 0 maintained, arm 1 not maintained"),
    ovarian = two_arms(ovarian$futime, ovarian$fustat, ovarian$rx == 2,
                       "ovarian: days, death; arm 0 rx 1, arm 1 rx 2")
  )
)

write_json(ref, "tests/reference/guyot_reference.json", digits = NA, auto_unbox = TRUE,
           pretty = FALSE)
cat("wrote tests/reference/guyot_reference.json\n")
