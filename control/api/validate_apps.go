package api

import (
	"math"
	"strconv"
	"strings"
)

func validateDeploymentSpec(spec *DeploymentSpec, path string) ErrorList {
	var errs ErrorList
	errs = append(errs, validateReplicas(spec.Replicas, pathChild(path, "replicas"))...)
	errs = append(errs, validateControllerPods(spec.Selector, &spec.Template, path, "deployment")...)
	errs = append(errs, validateDeploymentStrategy(&spec.Strategy, pathChild(path, "strategy"))...)
	errs = append(errs, nonNegative(pathChild(path, "minReadySeconds"), int64(spec.MinReadySeconds))...)
	if r := spec.RevisionHistoryLimit; r != nil {
		errs = append(errs, nonNegative(pathChild(path, "revisionHistoryLimit"), int64(*r))...)
	}
	if pd := spec.ProgressDeadlineSeconds; pd != nil {
		p := pathChild(path, "progressDeadlineSeconds")
		if *pd < 1 {
			errs = append(errs, errInvalid(p, rawValue(strconv.Itoa(int(*pd))), "must be greater than 0"))
		} else if *pd <= spec.MinReadySeconds {
			errs = append(errs, errInvalid(p, rawValue(strconv.Itoa(int(*pd))), "must be greater than minReadySeconds"))
		}
	}
	return errs
}

func validateReplicaSetSpec(spec *ReplicaSetSpec, path string) ErrorList {
	var errs ErrorList
	errs = append(errs, validateReplicas(spec.Replicas, pathChild(path, "replicas"))...)
	errs = append(errs, nonNegative(pathChild(path, "minReadySeconds"), int64(spec.MinReadySeconds))...)
	return append(errs, validateControllerPods(spec.Selector, &spec.Template, path, "replicaset")...)
}

func validateDaemonSetSpec(spec *DaemonSetSpec, path string) ErrorList {
	var errs ErrorList
	errs = append(errs, validateControllerPods(spec.Selector, &spec.Template, path, "daemonset")...)
	errs = append(errs, nonNegative(pathChild(path, "minReadySeconds"), int64(spec.MinReadySeconds))...)
	if r := spec.RevisionHistoryLimit; r != nil {
		errs = append(errs, nonNegative(pathChild(path, "revisionHistoryLimit"), int64(*r))...)
	}
	us := &spec.UpdateStrategy
	sp := pathChild(path, "updateStrategy")
	errs = append(errs, oneOf(pathChild(sp, "type"), us.Type, "RollingUpdate", "OnDelete")...)
	if ru := us.RollingUpdate; ru != nil {
		rp := pathChild(sp, "rollingUpdate")
		if us.Type == "OnDelete" {
			errs = append(errs, errForbidden(rp, "may not be specified when strategy `type` is 'OnDelete'"))
		}
		errs = append(errs, validateRollout(ru.MaxUnavailable, ru.MaxSurge, rp)...)
	}
	return errs
}

func validateReplicas(r *int32, path string) ErrorList {
	if r == nil {
		return nil
	}
	return nonNegative(path, int64(*r))
}

// validateControllerPods checks the selector and pod template of a Deployment, ReplicaSet or
// DaemonSet: the selector must be valid, non-empty and match the template's labels.
func validateControllerPods(sel *LabelSelector, tmpl *PodTemplateSpec, path, what string) ErrorList {
	var errs ErrorList
	sp := pathChild(path, "selector")
	tp := pathChild(path, "template")
	switch {
	case sel == nil:
		errs = append(errs, errRequired(sp, ""))
	case len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0:
		errs = append(errs, errInvalid(sp, rawValue("{}"), "empty selector is invalid for "+what))
	default:
		selErrs := validateLabelSelector(sel, sp)
		errs = append(errs, selErrs...)
		if s, err := LabelSelectorAsSelector(sel); len(selErrs) == 0 && err == nil && !s.Matches(tmpl.Labels) {
			errs = append(errs, errInvalid(pathChild(pathChild(tp, "metadata"), "labels"), tmpl.Labels, "`selector` does not match template `labels`"))
		}
	}
	errs = append(errs, validateTemplateMeta(&tmpl.ObjectMeta, pathChild(tp, "metadata"))...)
	return append(errs, validatePodSpec(&tmpl.Spec, pathChild(tp, "spec"), true)...)
}

func validateDeploymentStrategy(s *DeploymentStrategy, path string) ErrorList {
	errs := oneOf(pathChild(path, "type"), s.Type, "RollingUpdate", "Recreate")
	if ru := s.RollingUpdate; ru != nil {
		rp := pathChild(path, "rollingUpdate")
		if s.Type == "Recreate" {
			errs = append(errs, errForbidden(rp, "may not be specified when strategy `type` is 'Recreate'"))
		}
		errs = append(errs, validateRollout(ru.MaxUnavailable, ru.MaxSurge, rp)...)
	}
	return errs
}

// validateRollout checks maxUnavailable and maxSurge: counts or percentages, not both zero.
func validateRollout(maxUnavailable, maxSurge *IntOrString, path string) ErrorList {
	var errs ErrorList
	up, sp := pathChild(path, "maxUnavailable"), pathChild(path, "maxSurge")
	if maxUnavailable != nil {
		errs = append(errs, validateIntOrPercent(*maxUnavailable, up)...)
		if maxUnavailable.IsString && percentValue(maxUnavailable.StrVal) > 100 {
			errs = append(errs, errInvalid(up, maxUnavailable.StrVal, "must not be greater than 100%"))
		}
	}
	if maxSurge != nil {
		errs = append(errs, validateIntOrPercent(*maxSurge, sp)...)
	}
	if maxUnavailable != nil && maxSurge != nil && isZeroCount(*maxUnavailable) && isZeroCount(*maxSurge) {
		errs = append(errs, errInvalid(up, rawValue(maxUnavailable.String()), "may not be 0 when `maxSurge` is 0"))
	}
	return errs
}

func validateIntOrPercent(v IntOrString, path string) ErrorList {
	if v.IsString {
		if !percentRe.MatchString(v.StrVal) {
			return ErrorList{errInvalid(path, v.StrVal, "must be an integer or percentage (e.g '5%')")}
		}
		return nil
	}
	return nonNegative(path, int64(v.IntVal))
}

// percentValue reads "25%" as 25; one too large to read counts as more than 100.
func percentValue(s string) int {
	n, err := strconv.Atoi(strings.TrimSuffix(s, "%"))
	if err != nil {
		return math.MaxInt
	}
	return n
}

func isZeroCount(v IntOrString) bool {
	if v.IsString {
		return percentRe.MatchString(v.StrVal) && percentValue(v.StrVal) == 0
	}
	return v.IntVal == 0
}
