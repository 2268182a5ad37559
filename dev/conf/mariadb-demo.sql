-- The MariaDB demo database for CDC stacks (engine: mariadb), the same tables as demo.sql's PostgreSQL one:
-- users, orders and products are captured from the start; customers and invoices exist with rows but are added
-- to a stack later. Also the account Debezium logs in as. Run once, as the administrator, on the local stack's
-- first start by dev/stack, and by docker-compose.yml's mariadb service on its first start.
CREATE DATABASE demo CHARACTER SET utf8mb4;
USE demo;

CREATE TABLE users (
  id int AUTO_INCREMENT PRIMARY KEY,
  name varchar(200) NOT NULL,
  email varchar(200) NOT NULL UNIQUE
);
CREATE TABLE products (
  id int AUTO_INCREMENT PRIMARY KEY,
  name varchar(200) NOT NULL,
  price decimal(10, 2) NOT NULL
);
CREATE TABLE orders (
  id int AUTO_INCREMENT PRIMARY KEY,
  user_id int NOT NULL,
  product_id int NOT NULL,
  quantity int NOT NULL,
  created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
  FOREIGN KEY (user_id) REFERENCES users (id),
  FOREIGN KEY (product_id) REFERENCES products (id)
);
CREATE TABLE customers (
  id int AUTO_INCREMENT PRIMARY KEY,
  company varchar(200) NOT NULL,
  country char(2) NOT NULL
);
CREATE TABLE invoices (
  id int AUTO_INCREMENT PRIMARY KEY,
  customer_id int NOT NULL,
  amount decimal(12, 2) NOT NULL,
  FOREIGN KEY (customer_id) REFERENCES customers (id)
);

INSERT INTO users (name, email) VALUES
  ('Ada Lovelace', 'ada@example.com'), ('Alan Turing', 'alan@example.com'), ('Grace Hopper', 'grace@example.com');
INSERT INTO products (name, price) VALUES ('keyboard', 49.90), ('monitor', 219.00), ('cable', 7.50);
INSERT INTO orders (user_id, product_id, quantity) VALUES (1, 1, 1), (2, 2, 2), (3, 3, 5);
INSERT INTO customers (company, country) VALUES ('Initech', 'US'), ('Globex', 'DE');
INSERT INTO invoices (customer_id, amount) VALUES (1, 1200.00), (2, 310.50);

-- Debezium's signaling table: incremental snapshots (snapshot_new_tables with
-- signal.data_collection: demo.debezium_signal) write their watermarks here.
CREATE TABLE debezium_signal (
  id varchar(64) PRIMARY KEY,
  type varchar(32) NOT NULL,
  data varchar(2048)
);

-- Debezium's account: reads the binlog as a replica and snapshots with consistent reads. Any host: the local
-- stack listens on 127.0.0.1 only; under Docker, Connect reaches it from the compose network.
CREATE USER IF NOT EXISTS 'debezium'@'%' IDENTIFIED BY 'kplan-dev';
GRANT SELECT, RELOAD, SHOW DATABASES, LOCK TABLES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'debezium'@'%';
