#!/usr/bin/env Rscript
# Reference values for thyroid_evidence.survival, from R `survival` and `cmprsk`.
#
# Run from the project root:  Rscript tests/reference/make_survival_reference.R
# Writes tests/reference/survival_reference.json. The input data are written into the JSON
# too, so the Python tests need neither R nor the R data sets.
#
#   km_*     survfit(Surv(time, status) ~ 1, conf.type = "log-log")   (Kaplan-Meier, log-log CI)
#   rmst_*   summary(survfit(...), rmean = tau)$table                 (restricted mean, its se)
#   cif_*    cmprsk::cuminc(ftime, fstatus, cencode = 0)              (Aalen-Johansen CIF, variance)
#            survfit(Surv(time, factor(status)) ~ 1)                  (same estimate, multi-state)
suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
  library(jsonlite)
})

km_block <- function(time, status, tau) {
  fit <- survfit(Surv(time, status) ~ 1, conf.type = "log-log")
  tab <- summary(fit, rmean = tau)$table
  list(
    data = list(time = time, status = status),
    km = list(time = fit$time, n_risk = fit$n.risk, n_event = fit$n.event,
              n_censor = fit$n.censor, survival = fit$surv,
              lower = fit$lower, upper = fit$upper, std_err = fit$std.err),
    median = unname(tab["median"]),
    rmst = list(tau = tau, estimate = unname(tab["rmean"]), se = unname(tab["se(rmean)"]))
  )
}

cif_block <- function(time, status) {
  ci <- cuminc(time, status, cencode = 0)
  ms <- survfit(Surv(time, factor(status, levels = c(0, 1, 2))) ~ 1)
  states <- ms$states
  list(
    data = list(time = time, status = status),
    cuminc_event1 = list(time = ci[["1 1"]]$time, estimate = ci[["1 1"]]$est,
                         variance = ci[["1 1"]]$var),
    cuminc_event2 = list(time = ci[["1 2"]]$time, estimate = ci[["1 2"]]$est,
                         variance = ci[["1 2"]]$var),
    survfit_ms = list(time = ms$time,
                      event1 = ms$pstate[, which(states == "1")],
                      event2 = ms$pstate[, which(states == "2")])
  )
}

ref <- list(
  generated_by = "tests/reference/make_survival_reference.R",
  r_version = R.version.string,
  survival_version = as.character(packageVersion("survival")),
  cmprsk_version = as.character(packageVersion("cmprsk")),
  # lung: 228 patients, many tied times; status recoded 1 = death, 0 = censored
  km_lung = km_block(lung$time, as.integer(lung$status == 2), tau = 730),
  # aml: 23 patients, small sample with ties and censoring
  km_aml = km_block(aml$time, aml$status, tau = 48),
  # veteran: 137 patients
  km_veteran = km_block(veteran$time, veteran$status, tau = 365)
)

# Competing risks: mgus2, plasma-cell malignancy (1) vs death without it (2), months.
m <- mgus2
etime <- ifelse(m$pstat == 1, m$ptime, m$futime)
estat <- ifelse(m$pstat == 1, 1L, 2L * m$death)
ref$cif_mgus2 <- cif_block(as.numeric(etime), as.integer(estat))

# A small hand-checkable set with ties across causes and censoring at an event time.
small_time <- c(1, 2, 2, 3, 3, 3, 4, 5, 5, 6, 7, 8, 8, 9, 10)
small_stat <- c(1L, 1L, 2L, 0L, 1L, 2L, 1L, 0L, 2L, 1L, 0L, 1L, 0L, 2L, 0L)
ref$cif_small <- cif_block(small_time, small_stat)

write_json(ref, "tests/reference/survival_reference.json", digits = NA, auto_unbox = TRUE,
           pretty = FALSE)
cat("wrote tests/reference/survival_reference.json\n")
