package server

import (
	"context"
	"fmt"

	"seckill/engine"
	"seckill/internal/app/admin"
	"seckill/internal/config"
)

// SetStock sets the stock of one SKU of activity while serving
// (admin.Engine): its quota becomes stock × the item's quota_percent / 100,
// decided by the SKU's shard in sequence with its attempts and recorded
// (engine.ControlSetStock). Raising it lets exactly the new quota win;
// a stock whose quota is below the qualifications already issued is
// refused (admin.ErrRefused), as is one above config.MaxStock.
func (s *Server) SetStock(ctx context.Context, activity, sku string, stock uint64) (admin.ControlOutcome, error) {
	return s.setStock(ctx, activity, sku, stock, engine.SourceOperator)
}

// setStock is SetStock with the change's source (config for a reload).
func (s *Server) setStock(ctx context.Context, activity, sku string, stock uint64, src engine.ControlSource) (admin.ControlOutcome, error) {
	item := s.item(activity, sku)
	if item == nil {
		return admin.ControlOutcome{}, fmt.Errorf("%w: activity %q has no sku %q", admin.ErrNotFound, activity, sku)
	}
	if stock > config.MaxStock {
		return admin.ControlOutcome{}, fmt.Errorf("%w: stock %d is above the most a sku may have (%d)", admin.ErrRefused, stock, config.MaxStock)
	}
	quota := stock * uint64(item.QuotaPercent) / 100
	change := engine.SetStock(stock, quota)
	change.Source = src
	out, err := s.control(ctx, activity, sku, change)
	if err != nil {
		return out, fmt.Errorf("stock %d (quota %d at quota_percent %d): %w", stock, quota, item.QuotaPercent, err)
	}
	return out, nil
}

// EndNow ends activity's round now on every SKU of it (admin.Engine): each
// shard records an engine.ControlEndNow in sequence with its attempts, and
// every buy it decides after it answers ended.
func (s *Server) EndNow(ctx context.Context, activity string) (admin.ControlOutcome, error) {
	return s.endNow(ctx, activity, engine.SourceOperator)
}

// endNow is EndNow with the change's source (config for a reload).
func (s *Server) endNow(ctx context.Context, activity string, src engine.ControlSource) (admin.ControlOutcome, error) {
	change := engine.EndNow()
	change.Source = src
	return s.control(ctx, activity, "", change)
}

// item returns the configured item sku of activity, or nil.
func (s *Server) item(activity, sku string) *config.Item {
	act := s.activity(activity)
	if act == nil {
		return nil
	}
	for i := range act.Items {
		if act.Items[i].SKU == sku {
			return &act.Items[i]
		}
	}
	return nil
}
