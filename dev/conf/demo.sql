-- The demo database for the CDC stack (stacks/): users, orders and products are captured from the start;
-- customers and invoices exist with rows but are added to the stack later (table additions, incremental
-- snapshots). Run once, on the stack's first start, by dev/stack.
CREATE TABLE users (
  id serial PRIMARY KEY,
  name text NOT NULL,
  email text NOT NULL UNIQUE
);
CREATE TABLE products (
  id serial PRIMARY KEY,
  name text NOT NULL,
  price numeric(10, 2) NOT NULL
);
CREATE TABLE orders (
  id serial PRIMARY KEY,
  user_id int NOT NULL REFERENCES users (id),
  product_id int NOT NULL REFERENCES products (id),
  quantity int NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE customers (
  id serial PRIMARY KEY,
  company text NOT NULL,
  country text NOT NULL
);
CREATE TABLE invoices (
  id serial PRIMARY KEY,
  customer_id int NOT NULL REFERENCES customers (id),
  amount numeric(12, 2) NOT NULL
);

INSERT INTO users (name, email) VALUES
  ('Ada Lovelace', 'ada@example.com'), ('Alan Turing', 'alan@example.com'), ('Grace Hopper', 'grace@example.com');
INSERT INTO products (name, price) VALUES ('keyboard', 49.90), ('monitor', 219.00), ('cable', 7.50);
INSERT INTO orders (user_id, product_id, quantity) VALUES (1, 1, 1), (2, 2, 2), (3, 3, 5);
INSERT INTO customers (company, country) VALUES ('Initech', 'US'), ('Globex', 'DE');
INSERT INTO invoices (customer_id, amount) VALUES (1, 1200.00), (2, 310.50);

-- Debezium's signaling table: incremental snapshots (snapshot_new_tables) write their watermarks here.
CREATE TABLE debezium_signal (
  id varchar(64) PRIMARY KEY,
  type varchar(32) NOT NULL,
  data varchar(2048)
);
