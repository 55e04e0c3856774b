# Reference values for thyroid_evidence.proportions, computed with R's metafor and lme4.
#
# Rerun from the repository root:
#     Rscript tests/reference/make_reference.R
# It reads evidence/outcomes.csv and writes tests/reference/metafor_reference.json, which the
# tests in tests/test_proportions*.py read (they never need R). Debian packages:
# r-base-core r-cran-metafor r-cran-lme4 r-cran-jsonlite.
#
# Settings, and why:
# - rma.uni (FE, DL, REML, PM, ML) with control = list(threshold = 1e-12, tol = 1e-12,
#   maxiter = 10000): metafor's defaults stop Fisher scoring when tau2 moves by < 1e-5 and
#   uniroot (PM) at tol = eps^0.25, i.e. a few significant digits short of the optimum; the
#   Python code iterates to the optimum, so the reference does too. One block
#   ("default_control") keeps metafor's defaults to show how close they come.
# - rma.glmm(measure = "PLO", method = "ML") with nAGQ = 7 (metafor's default number of
#   adaptive Gauss-Hermite points, passed explicitly) and lme4's glmer tightened through
#   glmerCtrl: optimizer "bobyqa" with rhoend = 1e-12 and tolPwrss = 1e-12, again so that
#   the optimum, not the optimizer's stopping rule, is compared.
# - Proportions: escalc's default correction (add = 1/2 to studies with 0 or n events,
#   to = "only0"; none for PAS).
# - The synthetic datasets below are made-up test inputs. The review's own numbers are not
#   typed here: they are read from evidence/outcomes.csv (the review's rows with both a numerator
#   and a denominator; the count and the percent row of one result are one study).

suppressPackageStartupMessages({
  library(metafor)
  library(lme4)
  library(jsonlite)
})

out_path <- file.path("tests", "reference", "metafor_reference.json")
evidence_path <- file.path("evidence", "outcomes.csv")
if (!file.exists(evidence_path)) stop("Run from the repository root (evidence/outcomes.csv not found).")

# ---- datasets ---------------------------------------------------------------------------
set.seed(20240601)
large_n <- sample(10:200, 20, replace = TRUE)
large_x <- rbinom(20, large_n, plogis(rnorm(20, -1, 0.8)))

datasets <- list(
  k2 = list(events = c(5, 9), totals = c(20, 30)),
  k2_zero = list(events = c(0, 3), totals = c(8, 10)),
  k3 = list(events = c(3, 10, 7), totals = c(15, 25, 40)),
  zero_event = list(events = c(0, 4, 6, 2, 9), totals = c(12, 30, 25, 18, 40)),
  all_event = list(events = c(10, 18, 25, 14), totals = c(10, 20, 30, 15)),
  homogeneous = list(events = c(12, 19, 31, 38, 52), totals = c(100, 200, 300, 400, 500)),
  identical = list(events = c(10, 20, 30), totals = c(50, 100, 150)),
  heterogeneous = list(events = c(2, 15, 40, 70, 90, 5, 55), totals = c(50, 60, 80, 100, 95, 40, 70)),
  small_series = list(events = c(1, 3, 2, 5, 0, 4, 6, 1), totals = c(10, 12, 9, 15, 8, 11, 14, 7)),
  rare = list(events = c(0, 1, 0, 2, 1, 0), totals = c(50, 80, 40, 120, 60, 30)),
  near_one = list(events = c(48, 59, 30, 88, 40), totals = c(50, 60, 30, 90, 41)),
  sparse = list(events = c(0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0),
                totals = c(39, 27, 33, 46, 40, 33, 53, 40, 58, 58, 54, 58)),
  large_k = list(events = large_x, totals = large_n)
)
for (nm in names(datasets)) {
  datasets[[nm]]$source <- "synthetic"
  datasets[[nm]]$labels <- paste("Study", seq_along(datasets[[nm]]$events))
}

# The review's proportions: one study per distinct result with numerator and denominator.
outcomes <- read.csv(evidence_path, stringsAsFactors = FALSE, na.strings = "")
# The review's own rows only (source_id "review"): rows a cited paper's abstract adds, or a
# user's own study, do not change these reference values.
rows <- outcomes[outcomes$source_id == "review" & !is.na(outcomes$numerator) &
                   !is.na(outcomes$denominator), ]
key <- paste(rows$series_id, rows$endpoint, rows$category, rows$subgroup,
             rows$unit_of_analysis, rows$numerator, rows$denominator, sep = "|")
rows <- rows[!duplicated(key), ]
add_review <- function(name, r) {
  datasets[[name]] <<- list(
    events = as.numeric(r$numerator), totals = as.numeric(r$denominator),
    source = "evidence/outcomes.csv", outcome_ids = r$outcome_id,
    labels = trimws(paste(r$series_id, r$endpoint, ifelse(is.na(r$category), "", r$category),
                          ifelse(is.na(r$subgroup), "", paste0("(", r$subgroup, ")"))))
  )
}
for (s in unique(rows$series_id)) {
  r <- rows[rows$series_id == s, ]
  if (nrow(r) >= 2) add_review(paste0("review_", s), r)
}
add_review("review_all", rows)

# ---- fits -------------------------------------------------------------------------------
measures <- c(logit = "PLO", arcsine = "PAS", log = "PLN", raw = "PR")
transfs <- list(PLO = transf.ilogit, PAS = transf.iarcsin, PLN = exp, PR = function(x) x)
tight <- list(threshold = 1e-12, tol = 1e-12, maxiter = 10000)
glmer_tight <- list(optimizer = "bobyqa", tolPwrss = 1e-12,
                    optCtrl = list(rhoend = 1e-12, maxfun = 1e5))

num <- function(x) if (is.null(x)) NA_real_ else as.numeric(x)

summarise_fit <- function(res, measure) {
  pr <- predict(res)
  pt <- predict(res, transf = transfs[[measure]])
  w <- tryCatch(as.numeric(weights(res)), error = function(e) NULL)
  list(
    b = num(res$b), se = num(res$se), ci_lb = num(res$ci.lb), ci_ub = num(res$ci.ub),
    pi_lb = num(pr$pi.lb), pi_ub = num(pr$pi.ub),
    pred_t = num(pt$pred), ci_lb_t = num(pt$ci.lb), ci_ub_t = num(pt$ci.ub),
    pi_lb_t = num(pt$pi.lb), pi_ub_t = num(pt$pi.ub),
    tau2 = num(res$tau2), I2 = num(res$I2), H2 = num(res$H2), k = res$k,
    QE = num(if (inherits(res, "rma.glmm")) res$QE.Wld else res$QE),
    QEp = num(if (inherits(res, "rma.glmm")) res$QEp.Wld else res$QEp),
    QE_LRT = num(res$QE.LRT), QEp_LRT = num(res$QEp.LRT),
    weights = w
  )
}

results <- list()
for (nm in names(datasets)) {
  d <- datasets[[nm]]
  entry <- list(events = d$events, totals = d$totals, source = d$source, labels = d$labels,
                escalc = list(), fits = list(), default_control = list())
  if (!is.null(d$outcome_ids)) entry$outcome_ids <- d$outcome_ids
  for (tr in names(measures)) {
    ms <- measures[[tr]]
    es <- summary(escalc(measure = ms, xi = d$events, ni = d$totals))
    entry$escalc[[tr]] <- list(yi = as.numeric(es$yi), vi = as.numeric(es$vi),
                               ci_lb = as.numeric(es$ci.lb), ci_ub = as.numeric(es$ci.ub))
    for (method in c("FE", "DL", "REML", "PM", "ML")) {
      for (hakn in c(FALSE, TRUE)) {
        id <- paste(method, tr, if (hakn) "hakn" else "z", sep = "|")
        fit_rma <- function(control) {
          tryCatch(suppressWarnings(rma(xi = d$events, ni = d$totals, measure = ms,
                                        method = method, test = if (hakn) "knha" else "z",
                                        control = control)),
                   error = function(e) conditionMessage(e))
        }
        fit <- fit_rma(tight)
        note <- NULL
        if (is.character(fit) && grepl("Fisher scoring", fit)) {
          # Fisher scoring oscillates on some sparse data; halving its steps is metafor's
          # documented remedy (help(rma)) and reaches the same optimum.
          fit <- fit_rma(c(tight, list(stepadj = 0.5)))
          note <- "Fisher scoring oscillated with stepadj = 1; refitted with stepadj = 0.5"
        }
        entry$fits[[id]] <- if (is.character(fit)) list(error = fit) else summarise_fit(fit, ms)
        if (!is.null(note)) entry$fits[[id]]$note <- note
      }
    }
  }
  for (hakn in c(FALSE, TRUE)) {
    id <- paste("GLMM", "logit", if (hakn) "hakn" else "z", sep = "|")
    fit <- tryCatch(suppressWarnings(rma.glmm(xi = d$events, ni = d$totals, measure = "PLO",
                                              method = "ML", test = if (hakn) "t" else "z",
                                              nAGQ = 7,
                                              control = list(glmerCtrl = glmer_tight))),
                    error = function(e) conditionMessage(e))
    entry$fits[[id]] <- if (is.character(fit)) list(error = fit) else summarise_fit(fit, "PLO")
  }
  # metafor's default convergence settings, logit scale, z test (for information)
  for (method in c("REML", "PM", "ML")) {
    fit <- tryCatch(suppressWarnings(rma(xi = d$events, ni = d$totals, measure = "PLO",
                                         method = method)),
                    error = function(e) conditionMessage(e))
    if (!is.character(fit)) entry$default_control[[method]] <- summarise_fit(fit, "PLO")
  }
  fit <- tryCatch(suppressWarnings(rma.glmm(xi = d$events, ni = d$totals, measure = "PLO")),
                  error = function(e) conditionMessage(e))
  if (!is.character(fit)) entry$default_control[["GLMM"]] <- summarise_fit(fit, "PLO")
  results[[nm]] <- entry
}

# ---- single-proportion intervals ---------------------------------------------------------
ci_rows <- list()
for (n in c(1, 5, 12, 54, 100)) {
  for (k in sort(unique(c(0, 1, floor(n / 2), n - 1, n)))) {
    if (k < 0 || k > n) next
    for (alpha in c(0.05, 0.1, 0.01)) {
      level <- 1 - alpha
      cp <- binom.test(k, n, conf.level = level)$conf.int
      wi <- suppressWarnings(prop.test(k, n, correct = FALSE, conf.level = level))$conf.int
      jl <- if (k == 0) 0 else qbeta(alpha / 2, k + 0.5, n - k + 0.5)
      ju <- if (k == n) 1 else qbeta(1 - alpha / 2, k + 0.5, n - k + 0.5)
      z <- qnorm(1 - alpha / 2)
      nt <- n + z^2
      pt <- (k + z^2 / 2) / nt
      half <- z * sqrt(pt * (1 - pt) / nt)
      ci_rows[[length(ci_rows) + 1]] <- list(
        k = k, n = n, alpha = alpha,
        `clopper-pearson` = as.numeric(cp), wilson = as.numeric(wi), jeffreys = c(jl, ju),
        `agresti-coull` = c(max(0, pt - half), min(1, pt + half))
      )
    }
  }
}

reference <- list(
  generated_by = "tests/reference/make_reference.R",
  r_version = R.version.string,
  metafor_version = as.character(packageVersion("metafor")),
  lme4_version = as.character(packageVersion("lme4")),
  jsonlite_version = as.character(packageVersion("jsonlite")),
  settings = list(rma_control = tight, glmm_nAGQ = 7, glmer_control = glmer_tight),
  datasets = results,
  proportion_ci = ci_rows
)
writeLines(toJSON(reference, auto_unbox = TRUE, digits = I(17), na = "null", null = "null",
                  pretty = TRUE), out_path)
cat("wrote", out_path, "with", length(results), "datasets\n")
