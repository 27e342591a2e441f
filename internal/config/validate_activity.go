package config

import "fmt"

func (c *Config) validateActivities(l *problemList) {
	if len(c.Activities) == 0 {
		l.add("activity", "at least one [[activity]] is required")
		return
	}
	firstByID := map[string]int{}
	for i := range c.Activities {
		a := &c.Activities[i]
		field := fmt.Sprintf("activity[%d]", i)
		if first, seen := firstByID[a.ID]; seen && a.ID != "" {
			l.add(field+".id", "%q is also the id of activity[%d]", a.ID, first)
		} else {
			firstByID[a.ID] = i
		}
		a.validate(l, field, c.Auth.CaptchaSecret != "")
	}
	c.validateSharedSKUs(l)
}

func (a *Activity) validate(l *problemList, field string, haveCaptchaSecret bool) {
	checkName(l, field+".id", a.ID)
	switch {
	case a.StartTime.IsZero() && a.Start == "":
		l.add(field+".start", "missing")
	case a.EndTime.IsZero() && a.End == "":
		l.add(field+".end", "missing")
	case !a.StartTime.IsZero() && !a.EndTime.IsZero() && !a.EndTime.After(a.StartTime):
		l.add(field+".end", "%s is not after start %s", a.EndTime.Format(timeLayout), a.StartTime.Format(timeLayout))
	}
	if a.Captcha && !haveCaptchaSecret {
		l.add(field+".captcha", "requires auth.captcha_secret, the key that signs captcha passes")
	}
	switch a.Reservation {
	case ReservationRequired:
		if a.ReservationsFile == "" {
			l.add(field+".reservations_file", "required when reservation = %q", ReservationRequired)
		}
	case ReservationOpen:
	default:
		l.add(field+".reservation", "%q is not %q or %q", a.Reservation, ReservationRequired, ReservationOpen)
	}
	switch a.Limit {
	case LimitSKU, LimitActivity:
	default:
		l.add(field+".limit", "%q is not %q or %q", a.Limit, LimitSKU, LimitActivity)
	}
	if a.Queue < 1 || a.Queue > MaxQueue {
		l.add(field+".queue", "%d is outside [1, %d]", a.Queue, MaxQueue)
	}
	if a.PayWithin < 0 || a.PayWithin > MaxPayWithin {
		l.add(field+".pay_within", "%v is outside (0, %v]", a.PayWithin, MaxPayWithin)
	}
	if a.AdmitPerSec < 0 {
		l.add(field+".admit_per_sec", "must be >= 0 (0 = no limit)")
	}
	if len(a.Items) == 0 {
		l.add(field+".item", "at least one [[activity.item]] is required")
	}
	a.validateLottery(l, field)
	firstBySKU := map[string]int{}
	for j := range a.Items {
		itemField := fmt.Sprintf("%s.item[%d]", field, j)
		it := &a.Items[j]
		if first, seen := firstBySKU[it.SKU]; seen && it.SKU != "" {
			l.add(itemField+".sku", "%q is also the sku of item[%d]", it.SKU, first)
		} else {
			firstBySKU[it.SKU] = j
		}
		it.validate(l, itemField)
	}
}

func (it *Item) validate(l *problemList, field string) {
	checkName(l, field+".sku", it.SKU)
	stockValid := it.Stock > 0 && it.Stock <= MaxStock
	if !stockValid {
		l.add(field+".stock", "%d is outside [1, %d]", it.Stock, MaxStock)
	}
	if it.Price < 0 {
		l.add(field+".price", "must be >= 0")
	}
	if it.ReleasePerSec < 0 {
		l.add(field+".release_per_sec", "must be >= 0 (0 = no limit)")
	}
	percentValid := it.QuotaPercent >= 1 && it.QuotaPercent <= MaxQuotaPercent
	if !percentValid {
		l.add(field+".quota_percent", "%d is outside [1, %d]", it.QuotaPercent, MaxQuotaPercent)
	}
	if it.Waitlist < 0 || it.Waitlist > MaxWaitlist {
		l.add(field+".waitlist", "%d is outside [0, %d]", it.Waitlist, MaxWaitlist)
	}
	if stockValid && percentValid && it.Quota() < 1 {
		l.add(field+".quota_percent", "stock %d * %d%% rounds down to a quota of 0", it.Stock, it.QuotaPercent)
	}
}

// validateSharedSKUs refuses one SKU on sale in two activities at once,
// because each (activity, SKU) shard would sell the same stock.
func (c *Config) validateSharedSKUs(l *problemList) {
	type sale struct{ activity, item int }
	salesBySKU := map[string][]sale{}
	for i := range c.Activities {
		a := &c.Activities[i]
		if a.StartTime.IsZero() || a.EndTime.IsZero() {
			continue
		}
		for j := range a.Items {
			sku := a.Items[j].SKU
			for _, earlier := range salesBySKU[sku] {
				b := &c.Activities[earlier.activity]
				if earlier.activity != i && a.StartTime.Before(b.EndTime) && b.StartTime.Before(a.EndTime) {
					l.add(fmt.Sprintf("activity[%d].item[%d].sku", i, j),
						"%q is also sold by activity[%d] (%q) in an overlapping window", sku, earlier.activity, b.ID)
				}
			}
			salesBySKU[sku] = append(salesBySKU[sku], sale{i, j})
		}
	}
}

const timeLayout = "2006-01-02T15:04:05Z07:00"

// checkName requires an id or sku of 1-64 letters, digits, '_' or '-', because
// these names appear in URLs, log keys and file names unescaped.
func checkName(l *problemList, field, name string) {
	if name == "" {
		l.add(field, "missing")
		return
	}
	if len(name) > MaxIDLength {
		l.add(field, "is %d characters; at most %d", len(name), MaxIDLength)
		return
	}
	for i := 0; i < len(name); i++ {
		ch := name[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '_' || ch == '-') {
			l.add(field, "%q may hold only letters, digits, '_' and '-'", name)
			return
		}
	}
}
