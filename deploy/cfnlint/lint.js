#!/usr/bin/env node
// Runs the npm CloudFormation validator cfn-lint (martysweet/cfn-lint) on templates.
//
// Usage: node lint.js <node_modules dir> [-p Name=Value]... template...
//
// cfn-lint 1.9.7 ships a 2018 resource specification, which rejects properties
// these templates rely on (ManageMasterUserPassword, MetadataOptions, Tags on SNS
// topics, ...). Before validating, this script swaps in the AWS CloudFormation
// resource specification published as @aws-cdk/cfnspec (spec 117.0.0, 2023) and
// adds the few properties AWS documented after that (NEWER_PROPERTIES). The
// validator's rules are unchanged: property names and types, required
// properties, Ref/GetAtt/Sub targets, intrinsic function use, Conditions.
//
// A -p value is given to every template that declares that parameter; the
// validator guesses the others (their Default, else a placeholder), and resolves
// Conditions with those values. A nested stack whose TemplateURL is a local file
// (as `aws cloudformation package` expects) gets its template's Outputs as
// attributes, so that !GetAtt Stack.Outputs.TopicArn has an ARN-shaped value.
//
// Prints a JSON array with one entry per template and exits 1 when any template
// has a critical error or a warning, 2 on a usage error.
'use strict';

const fs = require('fs');
const path = require('path');

// Properties AWS added to resource types after spec 117.0.0; each is documented
// on the type's page in the CloudFormation User Guide.
const NEWER_PROPERTIES = {
  'AWS::CloudWatch::Alarm': { Tags: tagList },
  'AWS::EC2::VPCEndpoint': { Tags: tagList },
};

function tagList(doc) {
  return {
    Documentation: doc,
    Type: 'List',
    ItemType: 'Tag',
    DuplicatesAllowed: true,
    Required: false,
    UpdateType: 'Mutable',
  };
}

function usage(message) {
  if (message) console.error(message);
  console.error('usage: node lint.js <node_modules dir> [-p Name=Value]... template...');
  process.exit(2);
}

function parseArgs(argv) {
  const [modules, ...rest] = argv;
  const parameters = {};
  const templates = [];
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] !== '-p') {
      templates.push(rest[i]);
      continue;
    }
    const kv = rest[++i] || '';
    const eq = kv.indexOf('=');
    if (eq < 1) usage(`bad parameter ${JSON.stringify(kv)}, want Name=Value`);
    parameters[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  if (!modules || templates.length === 0) usage();
  return { modules: path.resolve(modules), parameters, templates };
}

function loadLinter(modules) {
  const lib = (p) => require(path.join(modules, p));
  const awsData = lib('cfn-lint/lib/awsData');
  awsData.awsResources = lib('@aws-cdk/cfnspec/spec/specification.json');
  for (const [type, props] of Object.entries(NEWER_PROPERTIES)) {
    const spec = awsData.awsResources.ResourceTypes[type];
    for (const [name, make] of Object.entries(props)) {
      spec.Properties[name] = make(spec.Documentation);
    }
  }
  return {
    api: lib('cfn-lint/lib/api'),
    awsData,
    yaml: lib('js-yaml'),
    schema: lib('cfn-lint/lib/yamlSchema').default(),
  };
}

// registerNestedOutputs gives each local nested stack the outputs of its
// template, as a specification entry named after the stack's logical name (the
// validator merges such an entry into the resource's type). The validator's own
// addCustomResourceAttributeValue does the same but deep-merges the whole
// specification on every call, which takes seconds.
function registerNestedOutputs(linter, file, doc) {
  for (const [name, res] of Object.entries(doc.Resources || {})) {
    const url = res && res.Properties && res.Properties.TemplateURL;
    if (res.Type !== 'AWS::CloudFormation::Stack' || typeof url !== 'string' || url.includes('://')) {
      continue;
    }
    const child = linter.yaml.load(fs.readFileSync(path.join(path.dirname(file), url), 'utf8'), {
      schema: linter.schema,
    });
    for (const output of Object.keys((child && child.Outputs) || {})) {
      const value = /Arns?$/.test(output)
        ? `arn:aws:mock:us-east-1:123456789012:${name}/${output}`
        : `mock-${name}-${output}`;
      // Looked up each time: the validator replaces ResourceTypes when it extends the specification.
      const types = linter.awsData.awsResources.ResourceTypes;
      const entry = (types[name] = types[name] || { Attributes: {} });
      entry.Attributes[`Outputs.${output}`] = { PrimitiveType: 'String', Value: value };
    }
  }
}

function main() {
  const { modules, parameters, templates } = parseArgs(process.argv.slice(2));
  const linter = loadLinter(modules);
  const { api, yaml, schema } = linter;
  let failed = false;
  const results = templates.map((file) => {
    const doc = yaml.load(fs.readFileSync(file, 'utf8'), { schema }) || {};
    registerNestedOutputs(linter, file, doc);
    const declared = doc.Parameters || {};
    const own = {};
    for (const [name, value] of Object.entries(parameters)) {
      if (Object.prototype.hasOwnProperty.call(declared, name)) own[name] = value;
    }
    const result = api.validateFile(file, { parameters: own });
    const findings = [
      ...result.errors.crit.map((e) => ({ level: 'crit', ...e })),
      ...result.errors.warn.map((e) => ({ level: 'warn', ...e })),
    ];
    const valid = result.templateValid && findings.length === 0;
    if (!valid) failed = true;
    return { file, valid, findings };
  });
  process.stdout.write(JSON.stringify(results, null, 2) + '\n');
  process.exit(failed ? 1 : 0);
}

main();
