-- pgTAP: enum uns_meta.spb_property_type, the storage class of a property value.
begin;
select plan(11);

select has_type('uns_meta', 'spb_property_type', 'type uns_meta.spb_property_type exists');
select has_enum('uns_meta', 'spb_property_type', 'uns_meta.spb_property_type is an enum');
select enum_has_labels('uns_meta', 'spb_property_type',
  array['int', 'long', 'float', 'double', 'string', 'boolean', 'uint64', 'datetime', 'propertyset', 'propertysetlist'],
  'spb_property_type has exactly the ERD''s six labels first, then the lossless additions, in this order');
select is((select string_agg(enumlabel::text, ',' order by enumsortorder)
             from pg_enum where enumtypid = 'uns_meta.spb_property_type'::regtype and enumsortorder <= 6),
          'int,long,float,double,string,boolean', 'the Release 1.1 ERD labels keep their names and order');
select is((select typowner::regrole::text from pg_type where oid = 'uns_meta.spb_property_type'::regtype),
          'uns_meta_admin', 'spb_property_type is owned by uns_meta_admin');
select isnt(obj_description('uns_meta.spb_property_type'::regtype, 'pg_type'), null, 'spb_property_type has a comment');
select throws_ok($$select 'int64'::uns_meta.spb_property_type$$, '22P02',
                 'invalid input value for enum uns_meta.spb_property_type: "int64"', 'an unknown label is rejected');
select throws_ok($$select 'INT'::uns_meta.spb_property_type$$, '22P02',
                 'invalid input value for enum uns_meta.spb_property_type: "INT"', 'labels are case-sensitive');

-- Every role that reads or writes metric_properties can use the type.
set local role uns_meta_app;
select is('uint64'::uns_meta.spb_property_type::text, 'uint64', 'uns_meta_app can use the type');
reset role;
set local role uns_meta_ro;
select is('datetime'::uns_meta.spb_property_type::text, 'datetime', 'uns_meta_ro can use the type');
reset role;
set local role uns_meta_cdc;
select is('propertyset'::uns_meta.spb_property_type::text, 'propertyset', 'uns_meta_cdc can use the type');
reset role;

select * from finish();
rollback;
