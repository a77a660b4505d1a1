-- A PL/pgSQL function: the semicolons inside the $$ body do not end the
-- statement, and neither would ones inside $tag$ ... $tag$ bodies.
CREATE FUNCTION ${strata:schema}.touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = ${strata:schema}, pg_catalog
AS $$
BEGIN
    -- Keep updated_at honest whatever the client sends.
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

CREATE TRIGGER customers_touch BEFORE UPDATE ON customers
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TRIGGER orders_touch BEFORE UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
