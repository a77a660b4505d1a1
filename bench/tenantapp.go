package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// tenantApp is the schema of a small multi-tenant shop, one migration per
// entry, applied to every tenant of W2 and W3 (W3 uses the first few). The
// names are unqualified: the search path starts at the tenant's schema.
// Entries with %s get generated rows (see generateTenantApp).
var tenantApp = []struct{ name, sql string }{
	{"create_customers", `-- Customers of this tenant.
CREATE TABLE customers (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email       text NOT NULL UNIQUE,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE customers IS 'People and companies that place orders';
`},
	{"create_products", `-- The catalogue.
CREATE TABLE products (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku     text NOT NULL UNIQUE,
    title   text NOT NULL,
    price   numeric(12,2) NOT NULL CHECK (price >= 0),
    active  boolean NOT NULL DEFAULT true
);
`},
	{"create_orders", `-- Orders and who placed them.
CREATE TABLE orders (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id  bigint NOT NULL REFERENCES customers (id),
    status       text NOT NULL DEFAULT 'new',
    placed_at    timestamptz NOT NULL DEFAULT now(),
    total        numeric(12,2) NOT NULL DEFAULT 0
);

CREATE INDEX orders_customer_idx ON orders (customer_id);
`},
	{"create_order_items", `-- The lines of an order.
CREATE TABLE order_items (
    order_id    bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line        integer NOT NULL,
    product_id  bigint NOT NULL REFERENCES products (id),
    quantity    integer NOT NULL CHECK (quantity > 0),
    unit_price  numeric(12,2) NOT NULL,
    PRIMARY KEY (order_id, line)
);

CREATE INDEX order_items_product_idx ON order_items (product_id);
`},
	{"seed_products", `-- Starter catalogue.
INSERT INTO products (sku, title, price) VALUES
%s`},
	{"seed_customers", `-- Demo customers.
INSERT INTO customers (email, name) VALUES
%s`},
	{"add_customer_contact", `-- Contact details.
ALTER TABLE customers ADD COLUMN phone text;
ALTER TABLE customers ADD COLUMN country char(2) NOT NULL DEFAULT 'US';
`},
	{"check_order_status", `-- Only known order states.
ALTER TABLE orders ADD CONSTRAINT orders_status_check
    CHECK (status IN ('new', 'paid', 'shipped', 'cancelled'));
`},
	{"seed_orders", `-- One paid order per customer, two lines each.
INSERT INTO orders (customer_id, status, placed_at)
SELECT id, 'paid', now() - id * interval '1 day' FROM customers ORDER BY id;

INSERT INTO order_items (order_id, line, product_id, quantity, unit_price)
SELECT o.id, l.line, p.id, l.line + 1, p.price
FROM orders o
CROSS JOIN (VALUES (1), (2)) AS l (line)
JOIN products p ON p.sku = 'SKU-' || lpad(((o.id + l.line) % 10 + 1)::text, 3, '0');
`},
	{"compute_order_totals", `-- Backfill the totals.
UPDATE orders o
SET total = s.total
FROM (SELECT order_id, sum(quantity * unit_price) AS total FROM order_items GROUP BY order_id) s
WHERE s.order_id = o.id;
`},
	{"create_customer_summary", `-- What each customer spent.
CREATE VIEW customer_order_summary AS
SELECT c.id, c.email, count(o.id) AS orders, coalesce(sum(o.total), 0) AS spent
FROM customers c
LEFT JOIN orders o ON o.customer_id = c.id
GROUP BY c.id, c.email;
`},
	{"create_audit_log", `-- Changes to audited tables.
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    table_name  text NOT NULL,
    row_id      bigint NOT NULL,
    action      text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    payload     jsonb
);

CREATE INDEX audit_log_row_idx ON audit_log (table_name, row_id);
`},
	{"create_audit_function", `-- Record a row change in audit_log.
CREATE FUNCTION log_row_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_log (table_name, row_id, action, payload)
    VALUES (TG_TABLE_NAME, NEW.id, TG_OP, to_jsonb(NEW));
    RETURN NEW;
END;
$$;
`},
	{"audit_orders", `-- Audit orders.
CREATE TRIGGER orders_audit
    AFTER INSERT OR UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION log_row_change();
`},
	{"create_settings", `-- Per-tenant settings.
CREATE TABLE settings (
    key    text PRIMARY KEY,
    value  text NOT NULL
);

INSERT INTO settings (key, value) VALUES
    ('currency', 'USD'),
    ('timezone', 'UTC'),
    ('invoice_prefix', 'INV-'),
    ('low_stock_threshold', '5');
`},
	{"add_product_category", `-- Group products.
ALTER TABLE products ADD COLUMN category text;
UPDATE products SET category = CASE WHEN price < 20 THEN 'accessories' WHEN price < 100 THEN 'standard' ELSE 'premium' END;
ALTER TABLE products ALTER COLUMN category SET NOT NULL;
`},
	{"index_active_products", `-- The storefront lists active products by category.
CREATE INDEX products_category_idx ON products (category, title) WHERE active;
`},
	{"create_invoices", `-- Invoices for paid orders.
CREATE TYPE invoice_state AS ENUM ('draft', 'issued', 'paid', 'void');

CREATE TABLE invoices (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id   bigint NOT NULL UNIQUE REFERENCES orders (id),
    state      invoice_state NOT NULL DEFAULT 'draft',
    amount     numeric(12,2) NOT NULL,
    issued_at  timestamptz
);
`},
	{"issue_invoices", `-- Invoice every paid order.
INSERT INTO invoices (order_id, state, amount, issued_at)
SELECT id, 'issued', total, placed_at FROM orders WHERE status = 'paid' ORDER BY id;
`},
	{"rename_customer_name", `-- "name" was ambiguous.
ALTER TABLE customers RENAME COLUMN name TO full_name;
COMMENT ON COLUMN customers.full_name IS 'As printed on invoices';
`},
}

// generateTenantApp writes the first n migrations of tenantApp as
// V1..Vn.
func generateTenantApp(w *workload, n int) error {
	if n < 1 || n > len(tenantApp) {
		return fmt.Errorf("want 1 to %d tenant migrations, not %d", len(tenantApp), n)
	}
	r := rand.New(rand.NewPCG(2, 2))
	for i, m := range tenantApp[:n] {
		text := m.sql
		switch m.name {
		case "seed_products":
			var b strings.Builder
			for j := 1; j <= 10; j++ {
				fmt.Fprintf(&b, "    ('SKU-%03d', 'Product %d', %d.%02d)%s\n", j, j, r.IntN(200)+1, r.IntN(100), sep(j, 10))
			}
			text = fmt.Sprintf(text, b.String())
		case "seed_customers":
			first := []string{"Ada", "Grace", "Linus", "Barbara", "Ken", "Margaret", "Dennis", "Frances"}
			var b strings.Builder
			for j, f := range first {
				fmt.Fprintf(&b, "    ('%s.%d@example.com', '%s O''Neil %d')%s\n", strings.ToLower(f), j+1, f, r.IntN(1000), sep(j+1, len(first)))
			}
			text = fmt.Sprintf(text, b.String())
		}
		if err := w.writeFile(fmt.Sprintf("V%d__%s.sql", i+1, m.name), text); err != nil {
			return err
		}
	}
	return nil
}

func sep(i, n int) string {
	if i == n {
		return ";"
	}
	return ","
}

// tenantNames returns the names of n tenant schemas: tenant_0001 and on.
func tenantNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("tenant_%04d", i+1)
	}
	return names
}
